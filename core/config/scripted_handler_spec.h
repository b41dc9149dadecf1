#pragma once
// Scripted handlers: handlers declared in TOML so scenarios and the shipped
// server can run them without C++ code. This file reads their declaration;
// core/engine/scripted_handler.h turns one into a handler.
//
//   [handlers.OrderHandler]
//   stream = "orders"                 # stream or event-store category (required)
//   fqn = "app.handlers.OrderHandler" # Protean's fully qualified name of the handler:
//                                     # the consumer group and the position's identity
//                                     # (default: the table name); a dotted identifier
//   subscription_profile = "FAST"     # optional, level 5 of resolution
//   fail_first = 2                    # fail attempts 1..2 of every message (0..1e9)
//   fail_probability = "1/10"         # fail with probability p/q (decided per attempt
//                                     # from a hash, see decision_seed)
//   fail_types = ["Poison"]           # always fail these message types
//   undecodable_types = ["Garbled"]   # declare these payloads undecodable (DLQ at once)
//   duration_ms = 20                  # each attempt takes 20 ms, or [lo, hi] drawn per
//                                     # attempt (0..1e12 ms)
//   record = true                     # record each success in the database
//   fail_between = [[1767225600500, 1767225601500]]
//                                     # every attempt that starts in [from_ms, until_ms) fails
//   slow_between = [[1767225600500, 1767225601500, 2000]]
//                                     # every attempt that starts in [from_ms, until_ms) takes
//                                     # extra_ms longer (past a timeout: it times out)
//   decision_seed = 17                # the seed of the per-attempt decisions (0..2^63-1;
//                                     # default: the process's scripted-handler seed)
//   [handlers.OrderHandler.subscription_config]   # level 6 (any subscription setting)
//   max_retries = 5
//
// fail_between / slow_between times are milliseconds since the Unix epoch on
// the engine's Clock, absolute so that a separate `protean server` process
// runs the same windows as the process that wrote the file (the scenario
// harness writes its handler faults this way). Windows may overlap: an
// attempt fails if any fail window covers its start, and is slowed by the sum
// of the slow windows that cover it.
//
// A drawn duration and a fail_probability failure are decided per attempt
// from a hash of (decision seed, handler, message id, attempt), never from a
// shared random sequence: the same message's same attempt gets the same
// decision in every process and whatever order attempts run in, so a run in
// the simulation and one against real services can be compared per message.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config_value.h"
#include "core/config/domain_config.h"
#include "core/config/table_reader.h"

namespace protean {

// A time window [from_ms, until_ms) in ms since the Unix epoch; extra_ms is
// the added duration of a slow_between window (0 for fail_between).
struct ScriptedWindow {
  int64_t from_ms = 0;
  int64_t until_ms = 0;
  int64_t extra_ms = 0;
};

struct ScriptedHandlerSpec {
  std::string name;
  std::string stream;
  std::optional<std::string> fqn;
  int64_t fail_first = 0;
  uint64_t fail_numerator = 0;
  uint64_t fail_denominator = 1;
  std::vector<std::string> fail_types;
  std::vector<std::string> undecodable_types;
  int64_t duration_min_ms = 0;
  int64_t duration_max_ms = 0;
  bool record = false;
  std::optional<uint64_t> decision_seed;
  std::vector<ScriptedWindow> fail_between;
  std::vector<ScriptedWindow> slow_between;
  std::optional<ConfigEntry> profile;
  ConfigLayer subscription_config;
};

// Reads one [handlers.<name>] table; unknown keys are errors.
ScriptedHandlerSpec ParseScriptedHandler(config::TableReader& reader, const std::string& name);

// Every [handlers.<Name>] table of the domain, in key order; throws
// ConfigurationError naming the key for a bad one.
std::vector<ScriptedHandlerSpec> ReadScriptedHandlers(const config::DomainConfig& config);

}  // namespace protean
