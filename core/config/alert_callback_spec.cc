#include "core/config/alert_callback_spec.h"

#include <sstream>
#include <utility>

#include "core/config/configuration_error.h"

namespace protean::config {
namespace {

constexpr std::string_view kCommandPrefix = "command:";
constexpr std::string_view kWebhookPrefix = "webhook:";
constexpr std::string_view kHttpScheme = "http://";

bool IsIdentifierStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsIdentifierChar(char c) { return IsIdentifierStart(c) || (c >= '0' && c <= '9'); }

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("alert_callback " + QuoteForMessage(text) + ": " +
                                 std::string(why));
}

Result<AlertCallbackSpec> ParseCommand(std::string_view text) {
  AlertCallbackSpec spec;
  spec.kind = AlertCallbackKind::kCommand;
  std::istringstream in{std::string(text.substr(kCommandPrefix.size()))};
  std::string word;
  while (in >> word) spec.command.push_back(word);
  if (spec.command.empty() || spec.command.front().front() != '/') {
    return Invalid(text, "a command needs an absolute program path");
  }
  return spec;
}

Result<AlertCallbackSpec> ParseWebhook(std::string_view text) {
  std::string_view url = text.substr(kWebhookPrefix.size());
  if (!url.starts_with(kHttpScheme)) return Invalid(text, "webhooks are http://host[:port]/path");
  const size_t slash = url.find('/', kHttpScheme.size());
  AlertCallbackSpec spec;
  spec.kind = AlertCallbackKind::kWebhook;
  spec.origin = std::string(url.substr(0, slash));
  spec.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const std::string_view host = std::string_view(spec.origin).substr(kHttpScheme.size());
  if (host.empty() || host.front() == ':') return Invalid(text, "the webhook URL has no host");
  for (char c : url) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      return Invalid(text, "the webhook URL contains white space");
    }
  }
  return spec;
}

}  // namespace

bool IsDottedName(std::string_view name) {
  bool at_start = true;
  for (char c : name) {
    if (c == '.') {
      if (at_start) return false;
      at_start = true;
    } else if (at_start ? IsIdentifierStart(c) : IsIdentifierChar(c)) {
      at_start = false;
    } else {
      return false;
    }
  }
  return !at_start;
}

Result<AlertCallbackSpec> ParseAlertCallbackSpec(std::string_view text) {
  if (text.starts_with(kCommandPrefix)) return ParseCommand(text);
  if (text.starts_with(kWebhookPrefix)) return ParseWebhook(text);
  if (IsDottedName(text)) {
    AlertCallbackSpec spec;
    spec.kind = AlertCallbackKind::kRegistered;
    spec.name = std::string(text);
    return spec;
  }
  return Invalid(text,
                 "expected \"command:/path/to/program\", \"webhook:http://host[:port]/path\" or "
                 "the dotted name of a registered callback (\"myapp.alerts.on_dlq\")");
}

Status CheckAlertCallback(const DlqConfig& dlq, const std::string& file,
                          const AlertCallbackLookup& is_registered,
                          const std::vector<std::string>& registered_names) {
  if (!dlq.alert_callback) return Status::Ok();
  const ConfigOrigin& at = dlq.alert_callback_origin;
  ErrorLocation where{at.file.empty() ? file : at.file, "server.dlq.alert_callback",
                      static_cast<uint32_t>(at.line), static_cast<uint32_t>(at.column)};
  Result<AlertCallbackSpec> spec = ParseAlertCallbackSpec(*dlq.alert_callback);
  if (!spec.ok()) {
    return ConfigErrorStatus(kConfigInvalidValue, std::move(where), spec.status().message());
  }
  if (spec->kind != AlertCallbackKind::kRegistered) return Status::Ok();
  if (is_registered && is_registered(spec->name)) return Status::Ok();
  std::string known;
  for (const std::string& name : registered_names) known += (known.empty() ? "" : ", ") + name;
  return ConfigErrorStatus(
      kConfigInvalidValue, std::move(where),
      "alert_callback " + QuoteForMessage(spec->name) +
          " is not a registered callback (registered: " + (known.empty() ? "none" : known) +
          "); register it with AlertCallbackRegistry::Register before the server starts, or use "
          "\"command:/path/to/program\" or \"webhook:http://host[:port]/path\"");
}

}  // namespace protean::config
