#pragma once
// Protean's CLI result envelope (src/protean/cli/result.py), the JSON of
// `protean check --format json`, `protean subscriptions status --json` and
// `protean dlq ... --format json`: {"version":"0.1.0","status":"pass|fail|
// error","data":{...},"diagnostics":[...]}, keys sorted, indent 2, ASCII
// only (Python's json.dumps(indent=2, sort_keys=True)), one line feed after.

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace protean::cli {

inline constexpr std::string_view kEnvelopeVersion = "0.1.0";  // Protean's ENVELOPE_VERSION

// Without diagnostics: an empty list.
std::string EnvelopeJson(std::string_view status, nlohmann::json data);
std::string EnvelopeJson(std::string_view status, nlohmann::json data, nlohmann::json diagnostics);

}  // namespace protean::cli
