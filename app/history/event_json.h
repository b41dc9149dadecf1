#pragma once
// The JSON form of engine events: one line of a run history
// (docs/history.md). The harness records its runs this way, and
// `protean server --history FILE` writes the same lines, so the harness's
// checkers read both.
//
// One JSON object with the event's non-empty fields, keys in a fixed order,
// times as microseconds since the epoch: byte-identical for identical
// events, so histories can be compared.

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/engine/engine_events.h"
#include "core/engine/scripted_handler.h"

namespace protean {

std::string EngineEventToJson(const EngineEvent& event);
nlohmann::ordered_json EngineEventJson(const EngineEvent& event);

// A scripted handler's call (its ledger, core/engine/scripted_handler.h) as a
// `handler_call` line: t = when the attempt started, instance from the
// consumer (<handler>-<instance>), outcome, value = its declared cost in
// microseconds. The harness records these in memory mode and
// `protean server --history` writes them, so the handler_calls checker reads
// both.
nlohmann::ordered_json HandlerCallJson(const ScriptedCall& call);

}  // namespace protean
