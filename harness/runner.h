#pragma once
// Runs one scenario under one seed in one mode and checks its history.
//
// The run is a world (harness/world.h: memory -> the deterministic
// simulation, test -> `protean server` processes against the real
// services), a workload
// (harness/workload.h) and faults (harness/faults/), driven through phases:
// start the instances at t = 0; faults on their timeline; heal by
// heal_at_ms; converge (every message final, then 0.5 s of quiet) within
// converge_within_ms; finish by recording the final broker state. The
// unchanged checkers (harness/checkers.h) then judge the history. A fault
// the world cannot produce makes the case skipped with the reason.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/substitution.h"
#include "core/engine/handler_catalog.h"
#include "harness/history.h"
#include "harness/report.h"
#include "harness/scenario.h"
#include "harness/service_unavailable.h"

namespace protean::harness {

// A recorded timeline to run instead of the scenario's draws (`replay
// --sim`, harness/sim_replay.h): the publishes as they happened, and per
// scenario fault (in file order) when it started and how long it lasted.
struct PinnedTimeline {
  std::vector<WorkloadItem> publishes;
  struct FaultTiming {
    int64_t at_ms = 0;
    int64_t duration_ms = 0;
  };
  std::vector<std::optional<FaultTiming>> faults;
};

struct RunOptions {
  std::string mode = "memory";  // memory | test
  uint64_t seed = 1;
  config::EnvLookup env_lookup;              // null: the process environment
  std::string program = "protean-harness";   // used in replay commands
  std::string server_binary;                 // test mode: the `protean` binary
  const HandlerCatalog* handlers = nullptr;  // see WorldOptions::handlers
  const PinnedTimeline* timeline = nullptr;  // null: the seed's draws
};

struct RunOutput {
  CaseResult result;
  History history;
};

// Throws ServiceUnavailable (test mode) and config::ConfigurationError (a
// scenario whose domain or handlers are invalid).
RunOutput RunScenario(const Scenario& scenario, const RunOptions& options);

// "protean-harness run <file> --protean-env <mode> --seed <seed>"
std::string ReplayCommand(const std::string& program, const Scenario& scenario,
                          const std::string& mode, uint64_t seed);

}  // namespace protean::harness
