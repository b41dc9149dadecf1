#include "harness/handler_ledger.h"

namespace protean::harness {
namespace {

void RecordCall(Recorder& recorder, const ScriptedCall& c) {
  // The consumer is "<handler>-<instance>" (core/engine/subscription.cc).
  const std::string prefix = c.handler + "-";
  const std::string instance =
      c.consumer.rfind(prefix, 0) == 0 ? c.consumer.substr(prefix.size()) : c.consumer;
  recorder.Record(c.at, "handler_call",
                  {{"instance", instance},
                   {"subscription", c.handler},
                   {"message_id", c.message_id},
                   {"attempt", c.attempt},
                   {"outcome", c.outcome},
                   {"value", c.cost.count()}});
}

}  // namespace

void RecordHandlerCalls(ScriptedRuntime& runtime, Recorder& recorder, Executor& loop) {
  Recorder* rec = &recorder;
  Executor* exec = &loop;
  runtime.ledger = [rec, exec](const ScriptedCall& call) {
    if (exec->simulated()) {
      RecordCall(*rec, call);
    } else {
      exec->Post([rec, call] { RecordCall(*rec, call); });
    }
  };
}

}  // namespace protean::harness
