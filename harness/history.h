#pragma once
// A run's history: a header and the events in order (docs/history.md).
// Serialized as JSON lines; the same run gives byte-identical text.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace protean::harness {

struct History {
  nlohmann::ordered_json header;
  std::vector<nlohmann::ordered_json> events;

  std::string Serialize() const;
  // Fails (kInvalidArgument, naming the line) on a line that is not a JSON
  // object or a missing header.
  static Result<History> Parse(std::string_view jsonl);
};

// An event's string field `key`; "" when it is absent or not a string.
std::string EventText(const nlohmann::ordered_json& event, const char* key);

}  // namespace protean::harness
