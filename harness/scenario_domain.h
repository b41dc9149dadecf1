#pragma once
// The domain a scenario runs with: the harness's base domain (memory
// adapters, and a [test] overlay naming the real services through
// REDIS_URL, DATABASE_URL and MESSAGE_DB_URL), the scenario's [domain] merged
// over it, and its [handlers] with the handler faults written in as
// scripted-handler data (fail_between / slow_between,
// core/config/scripted_handler_spec.h), so that an engine in another process
// runs the same faults as one in the harness.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/domain_config.h"
#include "core/config/substitution.h"
#include "harness/scenario.h"

namespace protean::harness {

// Handler faults of one run, as windows in ms since the Unix epoch.
class HandlerFaultData {
 public:
  // Attempts of `handler` ("" = every handler) starting in [from_ms, until_ms)
  // fail / take extra_ms longer.
  void AddFailWindow(const std::string& handler, int64_t from_ms, int64_t until_ms);
  void AddSlowWindow(const std::string& handler, int64_t from_ms, int64_t until_ms,
                     int64_t extra_ms);
  // The seed of every scripted handler's per-attempt decisions (the run's
  // seed, in both modes: core/config/scripted_handler_spec.h), written as
  // decision_seed unless a handler table sets its own.
  void SetDecisionSeed(uint64_t seed) { decision_seed_ = seed; }
  // Appends the windows to fail_between / slow_between of each handler table.
  void WriteInto(toml::table& handlers) const;

 private:
  struct Window {
    std::string handler;
    bool fail = false;
    int64_t from_ms = 0;
    int64_t until_ms = 0;
    int64_t extra_ms = 0;
  };
  std::vector<Window> windows_;
  std::optional<uint64_t> decision_seed_;
};

// The document: base, scenario domain, handlers with their fault data.
toml::table ScenarioDomainTable(const Scenario& scenario, const HandlerFaultData& faults);

// Parses the document as the run's configuration under `env` ("" or
// "test"). Throws ConfigurationError, or ServiceUnavailable (test mode) when
// a service address is not set.
config::DomainConfig ScenarioDomainConfig(const Scenario& scenario, const toml::table& document,
                                          const std::string& env,
                                          const config::EnvLookup& env_lookup);

}  // namespace protean::harness
