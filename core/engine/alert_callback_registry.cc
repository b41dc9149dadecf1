#include "core/engine/alert_callback_registry.h"

#include <utility>

#include "core/config/configuration_error.h"

namespace protean {

Status AlertCallbackRegistry::Register(const std::string& name, DlqAlertCallback callback) {
  if (!config::IsDottedName(name)) {
    return Status::InvalidArgument(
        "alert callback name " + config::QuoteForMessage(name) +
        ": expected identifiers joined by '.' (\"myapp.alerts.on_dlq\")");
  }
  if (!callback) return Status::InvalidArgument("alert callback " + name + ": empty callback");
  MutexLock lock(&mutex_);
  if (!callbacks_.emplace(name, std::move(callback)).second) {
    return Status::InvalidArgument("alert callback " + name + " is registered twice");
  }
  return Status::Ok();
}

bool AlertCallbackRegistry::Contains(std::string_view name) const {
  MutexLock lock(&mutex_);
  return callbacks_.find(name) != callbacks_.end();
}

std::optional<DlqAlertCallback> AlertCallbackRegistry::Find(std::string_view name) const {
  MutexLock lock(&mutex_);
  auto it = callbacks_.find(name);
  if (it == callbacks_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> AlertCallbackRegistry::Names() const {
  MutexLock lock(&mutex_);
  std::vector<std::string> names;
  for (const auto& [name, _] : callbacks_) names.push_back(name);
  return names;
}

config::AlertCallbackLookup AlertCallbackRegistry::Lookup() const {
  return [this](std::string_view name) { return Contains(name); };
}

AlertCallbackRegistry& DefaultAlertCallbackRegistry() {
  static AlertCallbackRegistry* const registry = new AlertCallbackRegistry();
  return *registry;
}

Status ValidateAlertCallback(const config::DomainConfig& config,
                             const AlertCallbackRegistry& registry) {
  return config::CheckAlertCallback(config.server.dlq, config.source_file, registry.Lookup(),
                                    registry.Names());
}

Result<std::optional<DlqAlertCallback>> ResolveAlertCallback(
    const config::DomainConfig& config, const AlertCallbackRegistry& registry,
    const ExternalAlertCallbackFactory& external) {
  const config::DlqConfig& dlq = config.server.dlq;
  if (!dlq.alert_callback) return std::optional<DlqAlertCallback>();
  PROTEAN_RETURN_IF_ERROR(ValidateAlertCallback(config, registry));
  Result<config::AlertCallbackSpec> spec = config::ParseAlertCallbackSpec(*dlq.alert_callback);
  if (spec->kind == config::AlertCallbackKind::kRegistered) {
    return registry.Find(spec->name);
  }
  Result<DlqAlertCallback> built =
      external ? external(*dlq.alert_callback)
               : Result<DlqAlertCallback>(Status::InvalidArgument(
                     "alert_callback " + config::QuoteForMessage(*dlq.alert_callback) +
                     ": this process cannot run command: or webhook: callbacks"));
  if (!built.ok()) {
    const ConfigOrigin& at = dlq.alert_callback_origin;
    return config::ConfigErrorStatus(
        config::kConfigInvalidValue,
        config::ErrorLocation{at.file.empty() ? config.source_file : at.file,
                              "server.dlq.alert_callback", static_cast<uint32_t>(at.line),
                              static_cast<uint32_t>(at.column)},
        built.status().message());
  }
  return std::optional<DlqAlertCallback>(std::move(built).value());
}

}  // namespace protean
