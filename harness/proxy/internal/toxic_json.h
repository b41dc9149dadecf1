#pragma once
// Toxics as Toxiproxy writes them in JSON:
//   {"name": "latency_downstream", "type": "latency", "stream": "downstream",
//    "toxicity": 1.0, "attributes": {"latency": 100, "jitter": 10}}
// Shared by the config file and the control API; nlohmann stays in .cc
// files, so this header is included only from them.

#include <nlohmann/json.hpp>

#include "harness/proxy/toxic.h"

namespace protean::harness::proxy::internal {

// Reads a toxic. With `base`, fields absent from `json` keep base's values
// (Toxiproxy's update: attributes merge key by key; name and type stay).
// Without it, `type` is required and name defaults to "<type>_<stream>"
// ("down" for a down toxic).
// InvalidArgument naming the key on a wrong type, an unknown key, or an
// attribute out of range.
Status ToxicFromJson(const nlohmann::json& json, Toxic* out, const Toxic* base = nullptr);

nlohmann::json ToxicToJson(const Toxic& toxic);

}  // namespace protean::harness::proxy::internal
