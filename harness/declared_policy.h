#pragma once
// The "declared" part of a history's header (docs/history.md): what the
// scenario file itself says about policy — its [domain.server] table and its
// [handlers] tables, as JSON — so that the checkers derive their
// expectations from the declaration (harness/checkers_oracle.h), never from
// the engine's resolved configuration.

#include <nlohmann/json.hpp>

#include "harness/scenario.h"

namespace protean::harness {

// {"server": {...[domain.server]...}, "handlers": {...[handlers]...}}; absent
// tables are empty objects. TOML integers stay integers, floats floats.
nlohmann::ordered_json DeclaredPolicyJson(const Scenario& scenario);

}  // namespace protean::harness
