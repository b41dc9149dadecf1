#pragma once
// ConfigurationError: the one exception the configuration layer throws.
//
// Every error names the file and the dotted key path it is about
// ("databases.default.pool_size") and, where toml++ kept a source region,
// the line and column (1-based; 0 when unknown). `code` is one of Protean's
// CONFIG_* codes below, so callers (the engine at start-up, `protean check`)
// can react to or report it. what() reads:
//
//   path/domain.toml:12:5: databases.default.pool_size: expected an integer
//   >= 1, got "ten" [CONFIG_INVALID_VALUE]
//
// This header does not include toml++.

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace protean::config {

// The TOML text is not valid TOML (line:column from the parser).
inline constexpr std::string_view kConfigParseError = "CONFIG_PARSE_ERROR";
// A ${VAR} without a value in the environment and without a |default.
inline constexpr std::string_view kConfigUnresolvedEnvVar = "CONFIG_UNRESOLVED_ENV_VAR";
// A value of the wrong type, out of range, or an unknown key.
inline constexpr std::string_view kConfigInvalidValue = "CONFIG_INVALID_VALUE";
// A provider name not in the registry of core/config/providers.h.
inline constexpr std::string_view kConfigUnknownProvider = "CONFIG_UNKNOWN_PROVIDER";
// No domain.toml where one was asked for, or it cannot be read.
inline constexpr std::string_view kConfigNotFound = "CONFIG_NOT_FOUND";

// Where an error is: file, dotted key path, and 1-based line:column (0 when
// unknown). Any field may be empty/0.
struct ErrorLocation {
  std::string file;
  std::string key_path;
  uint32_t line = 0;
  uint32_t column = 0;
};

class ConfigurationError : public std::exception {
 public:
  ConfigurationError(std::string_view code, ErrorLocation location, std::string message);

  // Fixed at construction from the fields below; changing a field afterwards
  // does not change what().
  const char* what() const noexcept override { return what_.c_str(); }

  // Public by design (Protean's ConfigurationError carries the same data).
  std::string code;
  std::string file;
  std::string key_path;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;

 private:
  std::string what_;
};

// "file:line:column: key.path: message [CODE]", leaving out the parts that
// are empty or 0.
std::string FormatConfigurationError(std::string_view code, const ErrorLocation& location,
                                     std::string_view message);

// The Status form of a configuration error, for everything past the loader
// (the error boundary: Domain, the engine, the commands): kNotFound for
// CONFIG_NOT_FOUND, kInvalidArgument otherwise; the message is what(); the
// code and location travel as the Status's ErrorSource.
Status ToStatus(const ConfigurationError& error);

// A ConfigurationError at `location`, as a Status.
Status ConfigErrorStatus(std::string_view code, ErrorLocation location, std::string message);

// Runs `fn` (which may throw ConfigurationError) and returns its Status, or
// Ok. Other exceptions propagate.
template <typename Fn>
Status CatchConfigurationError(Fn&& fn) {
  try {
    std::forward<Fn>(fn)();
  } catch (const ConfigurationError& e) {
    return ToStatus(e);
  }
  return Status::Ok();
}

// Quotes a string value for an error message: "ten" (with \" and \\ escaped).
std::string QuoteForMessage(std::string_view value);

}  // namespace protean::config
