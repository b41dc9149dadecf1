#include "harness/handler_ledger.h"

#include "app/history/event_json.h"

namespace protean::harness {

void RecordHandlerCalls(ScriptedRuntime& runtime, HistoryRecorder& recorder, Executor& loop) {
  HistoryRecorder* rec = &recorder;
  Executor* exec = &loop;
  runtime.ledger = [rec, exec](const ScriptedCall& call) {
    if (exec->simulated()) {
      rec->Append(HandlerCallJson(call));
    } else {
      exec->Post([rec, line = HandlerCallJson(call)]() mutable { rec->Append(std::move(line)); });
    }
  };
}

}  // namespace protean::harness
