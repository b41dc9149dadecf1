#pragma once
// Runs one scenario under one seed in one mode and checks its history.
//
// Memory mode: a SimClock/SimExecutor world, memory backends, one seeded
// PRNG: the same scenario, seed and build give a byte-identical history.
// Test mode: the real clock and loop, adapters from the domain's [test]
// overlay (Redis, PostgreSQL, Message DB from REDIS_URL, DATABASE_URL,
// MESSAGE_DB_URL), stream and category names prefixed per run so runs never
// see each other's data. The same fault decorators serve both modes; a fault
// that cannot be produced against a real service (clock_jump) makes the case
// skipped with the reason.
//
// Engine instances are in-process Engines, each with its own adapter
// connections (decorators), sharing the backends as processes share a Redis.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/config/substitution.h"
#include "harness/history.h"
#include "harness/report.h"
#include "harness/scenario.h"

namespace protean::harness {

struct RunOptions {
  std::string mode = "memory";  // memory | test
  uint64_t seed = 1;
  config::EnvLookup env_lookup;  // null: the process environment
  std::string program = "protean-harness";  // used in replay commands
};

struct RunOutput {
  CaseResult result;
  History history;
};

// A backend needed by test mode cannot be reached, or its address is not
// configured: the whole run stops (exit 2), never falling back to memory.
class ServiceUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ServiceUnavailable (test mode) and config::ConfigurationError (a
// scenario whose domain or handlers are invalid).
RunOutput RunScenario(const Scenario& scenario, const RunOptions& options);

// "protean-harness run <file> --protean-env <mode> --seed <seed>"
std::string ReplayCommand(const std::string& program, const Scenario& scenario,
                          const std::string& mode, uint64_t seed);

}  // namespace protean::harness
