#pragma once
// The header line of a run's history (docs/history.md): scenario, seed, mode,
// the resolved settings the checkers judge by (drain timeout, DLQ, every
// subscription), phases, expectations and every instance that may run.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/scenario.h"

namespace protean::harness {

class World;

// `world` must be open.
nlohmann::ordered_json RunHeader(const Scenario& scenario, const std::string& mode, uint64_t seed,
                                 const World& world);

}  // namespace protean::harness
