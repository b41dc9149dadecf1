#pragma once
// Small helpers shared by the configuration files: key paths, source
// positions of toml++ nodes, and how a value is shown in an error message.

#include <string>
#include <string_view>

#include "core/config/toml_fwd.h"

#include "core/config/configuration_error.h"

namespace protean::config::internal {

// "databases.default" + "pool_size" -> "databases.default.pool_size". A key
// that is not a bare TOML key (letters, digits, '_', '-') is quoted.
std::string JoinKeyPath(std::string_view prefix, std::string_view key);

// "databases.default.URI" + index 2 -> "databases.default.URI[2]".
std::string JoinIndex(std::string_view prefix, size_t index);

// The location of `node` (may be null): its own source path when toml++ kept
// one, else `fallback_file`; its begin line:column, else 0:0.
ErrorLocation LocationOf(const toml::node* node, std::string_view fallback_file,
                         std::string key_path);

// How a value reads in "got ...": "ten" (quoted), 10, 3.5, true, a table,
// an array, a date, a time, a date-time.
std::string DescribeValue(const toml::node& node);

// Shortest round-trip-ish text of a double for messages: 0.5, 10, 86400,
// 1e+06, 1e+30 (whole numbers below a million are written as integers).
std::string FormatDouble(double value);

// Throws ConfigurationError(code) at `node`'s location.
[[noreturn]] void ThrowAt(std::string_view code, const toml::node* node,
                          std::string_view fallback_file, std::string key_path,
                          std::string message);

}  // namespace protean::config::internal
