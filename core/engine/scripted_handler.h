#pragma once
// Scripted handlers: handlers declared in TOML so scenarios and the shipped
// server can run them without C++ code.
//
//   [handlers.OrderHandler]
//   stream = "orders"                 # stream or event-store category (required)
//   subscription_profile = "FAST"     # optional, level 5 of resolution
//   fail_first = 2                    # fail attempts 1..2 of every message
//   fail_probability = "1/10"         # fail with probability p/q (seeded PRNG)
//   fail_types = ["Poison"]           # always fail these message types
//   undecodable_types = ["Garbled"]   # declare these payloads undecodable (DLQ at once)
//   duration_ms = 20                  # each attempt takes 20 ms, or [lo, hi] drawn per attempt
//   record = true                     # record each success in the database
//   [handlers.OrderHandler.subscription_config]   # level 6 (any subscription setting)
//   max_retries = 5
//
// Timeouts come from subscription_config.handler_timeout_seconds: a handler
// whose duration exceeds it times out. A recorded success is a record in
// table "processed", key "<handler>/<message id>", whose version counts how
// many times it was handled. The attempt number a handler sees is the
// message's delivery count, so fail_first survives crashes.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/config/table_reader.h"
#include "core/engine/handler.h"
#include "core/runtime/prng.h"

namespace protean {

inline constexpr const char* kProcessedTable = "processed";

struct ScriptedHandlerSpec {
  std::string name;
  std::string stream;
  int64_t fail_first = 0;
  uint64_t fail_numerator = 0;
  uint64_t fail_denominator = 1;
  std::vector<std::string> fail_types;
  std::vector<std::string> undecodable_types;
  int64_t duration_min_ms = 0;
  int64_t duration_max_ms = 0;
  bool record = false;
  std::optional<ConfigEntry> profile;
  ConfigLayer subscription_config;
};

// Reads one [handlers.<name>] table; unknown keys are errors.
ScriptedHandlerSpec ParseScriptedHandler(config::TableReader& reader, const std::string& name);

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
