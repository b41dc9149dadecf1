#pragma once
// Typed reads of an adapter section's pass-through keys (PassThroughKeys,
// core/config/config_value.h), for the adapter factories. An absent key is
// nullopt; a key of the wrong type is kInvalidArgument naming
// "<section>.<key>: expected …", never a silent default.

#include <optional>
#include <string>
#include <string_view>

#include "core/config/config_value.h"
#include "core/status.h"

namespace protean::config {

Result<std::optional<std::string>> PassThroughString(const PassThroughKeys& keys,
                                                     const std::string& section,
                                                     std::string_view key);
Result<std::optional<bool>> PassThroughBool(const PassThroughKeys& keys, const std::string& section,
                                            std::string_view key);
// Sets `key` to a scalar (for sections built in code rather than read).
void SetPassThrough(PassThroughKeys& keys, const std::string& key, ConfigValue value);

// An integer or a float, as a double.
Result<std::optional<double>> PassThroughNumber(const PassThroughKeys& keys,
                                                const std::string& section, std::string_view key);

}  // namespace protean::config
