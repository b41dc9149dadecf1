#include "core/config/configuration_error.h"

#include <utility>

namespace protean::config {

ConfigurationError::ConfigurationError(std::string_view code_in, ErrorLocation location,
                                       std::string message_in)
    : code(code_in),
      file(std::move(location.file)),
      key_path(std::move(location.key_path)),
      line(location.line),
      column(location.column),
      message(std::move(message_in)) {
  what_ = FormatConfigurationError(code, ErrorLocation{file, key_path, line, column}, message);
}

std::string FormatConfigurationError(std::string_view code, const ErrorLocation& location,
                                     std::string_view message) {
  std::string out;
  if (!location.file.empty()) {
    out += location.file;
    if (location.line > 0) {
      out += ':' + std::to_string(location.line);
      if (location.column > 0) out += ':' + std::to_string(location.column);
    }
    out += ": ";
  }
  if (!location.key_path.empty()) {
    out += location.key_path;
    out += ": ";
  }
  out += message;
  out += " [";
  out += code;
  out += ']';
  return out;
}

std::string QuoteForMessage(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

Status ToStatus(const ConfigurationError& error) {
  const StatusCode code =
      error.code == kConfigNotFound ? StatusCode::kNotFound : StatusCode::kInvalidArgument;
  return Status(code, error.what())
      .WithSource(ErrorSource{error.code, error.file, error.key_path, error.line, error.column,
                              error.message});
}

Status ConfigErrorStatus(std::string_view code, ErrorLocation location, std::string message) {
  return ToStatus(ConfigurationError(code, std::move(location), std::move(message)));
}

}  // namespace protean::config
