#pragma once
// Turns a scripted handler declaration (core/config/scripted_handler_spec.h,
// where the [handlers.<Name>] keys are documented) into a handler.
//
// Timeouts come from subscription_config.handler_timeout_seconds: a handler
// whose duration exceeds it times out. A recorded success is a record in
// table "processed", key "<handler>/<message id>", whose version counts how
// many times it was handled. The attempt number a handler sees is the
// message's delivery count, so fail_first survives crashes. fail_between and
// slow_between windows are compared with the attempt's start on the engine's
// Clock (HandlerContext::now).

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/config/scripted_handler_spec.h"
#include "core/engine/handler.h"

namespace protean {

inline constexpr const char* kProcessedTable = "processed";

// One call of a scripted handler, as the handler itself saw it: who called
// it (the consumer), for which message and attempt, when, how long it said it
// took (its declared duration, slow windows included) and what it returned
// ("ok", "failed", "undecodable").
struct ScriptedCall {
  std::string handler;
  std::string consumer;
  std::string message_id;
  int64_t attempt = 0;
  TimePoint at{};
  Duration cost{0};
  std::string outcome;
};
// Receives every call before the handler returns, on the thread that ran it
// (the loop in the simulation, a worker in real mode): a record kept outside
// the engine, so the harness can compare the engine's account of its
// attempts with the calls that really happened.
using ScriptedLedger = std::function<void(const ScriptedCall&)>;

// What scripted handlers share at run time: the seed of their per-attempt
// decisions (a handler's decision_seed overrides it) and the ledger of calls
// (optional). Decisions are hashes of (seed, handler, message id, attempt,
// what is decided), so neither the order nor the thread of the attempts
// changes them.
struct ScriptedRuntime {
  explicit ScriptedRuntime(uint64_t seed_value) : seed(seed_value) {}

  const uint64_t seed;
  ScriptedLedger ledger;  // set before the handlers run; may be null
};

// The part of a message id decisions are made from: a UUID without its last
// 8 hex digits (the harness tags each test-mode run's ids there, as Message
// DB keeps every id it ever saw), any other id whole.
std::string_view DecisionKey(std::string_view message_id);

// The decision of one attempt: a uniform 64-bit value from (seed, handler,
// DecisionKey(message id), attempt, salt).
uint64_t ScriptedDecision(uint64_t seed, const std::string& handler, std::string_view message_id,
                          int64_t attempt, uint64_t salt);

// With `work` (a C++ handler of the same name), an attempt the script lets
// through runs `work`, whose result is the attempt's (recorded on success when
// `record` is set); without it, the attempt succeeds.
HandlerRegistration MakeScriptedHandler(const ScriptedHandlerSpec& spec,
                                        std::shared_ptr<ScriptedRuntime> random,
                                        HandlerFn work = {});

// The key a recorded success is stored under.
std::string ProcessedKey(const std::string& handler, const std::string& message_id);

}  // namespace protean
