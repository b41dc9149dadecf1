#pragma once
// Converting toml++ values to nlohmann::json, for `protean config show` and
// for JSON reports. Tables become objects (keys sorted, as toml++ keeps
// them), arrays arrays, integers/floats/booleans/strings themselves, and
// dates/times their TOML text ("2024-01-02", "10:30:00",
// "2024-01-02T10:30:00Z").

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

namespace protean::config {

nlohmann::json TomlToJson(const toml::node& node);

}  // namespace protean::config
