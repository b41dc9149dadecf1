#pragma once
// The handler-call ledger of a run: every call of a scripted handler, written
// by the handler itself (core/engine/scripted_handler.h, ScriptedLedger) and
// recorded in the history as a `handler_call` event (docs/history.md,
// app/history/event_json.h). The engine never sees it, so a checker can hold
// the engine's account of its attempts (attempt_started / attempt_finished)
// against the calls that really happened: a handler called twice per
// attempt, an outcome reported wrongly, a budget not enforced. In test mode
// the handlers run in the `protean server` children, which write the same
// lines into their --history files.

#include "core/engine/scripted_handler.h"
#include "core/executor.h"
#include "harness/history_recorder.h"

namespace protean::harness {

// Sets `runtime.ledger`. Calls on the loop thread (the simulation) are
// recorded at once; calls on worker threads are posted to `loop` first.
// `recorder` and `loop` must outlive the handlers' last call.
void RecordHandlerCalls(ScriptedRuntime& runtime, HistoryRecorder& recorder, Executor& loop);

}  // namespace protean::harness
