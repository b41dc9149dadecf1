#include "core/config/internal/toml_util.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>

#include <toml++/toml.h>

namespace protean::config::internal {
namespace {

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string JoinKeyPath(std::string_view prefix, std::string_view key) {
  std::string out(prefix);
  if (!out.empty()) out += '.';
  if (IsBareKey(key)) {
    out += key;
  } else {
    out += QuoteForMessage(key);
  }
  return out;
}

std::string JoinIndex(std::string_view prefix, size_t index) {
  return std::string(prefix) + '[' + std::to_string(index) + ']';
}

ErrorLocation LocationOf(const toml::node* node, std::string_view fallback_file,
                         std::string key_path) {
  ErrorLocation location;
  location.file = std::string(fallback_file);
  location.key_path = std::move(key_path);
  if (node == nullptr) return location;
  const toml::source_region& source = node->source();
  if (source.path && !source.path->empty()) location.file = *source.path;
  location.line = source.begin.line;
  location.column = source.begin.column;
  return location;
}

std::string FormatDouble(double value) {
  // Whole numbers below a million read as integers (86400, not 8.64e+04).
  if (std::isfinite(value) && std::fabs(value) < 1e6 && value == std::trunc(value)) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  // Prefer the shortest form that reads back the same.
  for (int precision = 1; precision <= 17; ++precision) {
    char shorter[64];
    std::snprintf(shorter, sizeof(shorter), "%.*g", precision, value);
    double back = 0;
    if (std::sscanf(shorter, "%lf", &back) == 1 && back == value) return shorter;
  }
  return buffer;
}

std::string DescribeValue(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return QuoteForMessage(node.as_string()->get());
    case toml::node_type::integer:
      return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point:
      return FormatDouble(node.as_floating_point()->get());
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

void ThrowAt(std::string_view code, const toml::node* node, std::string_view fallback_file,
             std::string key_path, std::string message) {
  throw ConfigurationError(code, LocationOf(node, fallback_file, std::move(key_path)),
                           std::move(message));
}

}  // namespace protean::config::internal
