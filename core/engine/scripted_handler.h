#pragma once
// Turns a scripted handler declaration (core/config/scripted_handler_spec.h,
// where the [handlers.<Name>] keys are documented) into a handler.
//
// Timeouts come from subscription_config.handler_timeout_seconds: a handler
// whose duration exceeds it times out. A recorded success is a record in
// table "processed", key "<handler>/<message id>", whose version counts how
// many times it was handled. The attempt number a handler sees is the
// message's delivery count, so fail_first survives crashes.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/config/scripted_handler_spec.h"
#include "core/engine/handler.h"
#include "core/runtime/prng.h"

namespace protean {

inline constexpr const char* kProcessedTable = "processed";

// What scripted handlers share at run time: the randomness they draw from
// and the fault windows the harness injects. In the simulation handlers run
// on the loop thread in a fixed order, so draws are deterministic; in real
// mode the mutex makes concurrent use safe.
struct ScriptedRuntime {
  // During [from, until) attempts of `handler` ("" = every handler) fail
  // (`error`) and/or take `extra` longer.
  struct FaultWindow {
    std::string handler;
    TimePoint from{};
    TimePoint until{};
    bool error = false;
    Duration extra{0};
  };
  explicit ScriptedRuntime(uint64_t seed) : prng(seed) {}
  void AddFault(FaultWindow window) {
    std::lock_guard<std::mutex> lock(mu);
    faults.push_back(std::move(window));
  }

  std::mutex mu;
  Prng prng;
  std::vector<FaultWindow> faults;
};

HandlerRegistration MakeScriptedHandler(const ScriptedHandlerSpec& spec,
                                        std::shared_ptr<ScriptedRuntime> random);

// The key a recorded success is stored under.
std::string ProcessedKey(const std::string& handler, const std::string& message_id);

}  // namespace protean
