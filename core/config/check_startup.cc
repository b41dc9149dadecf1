// The rules of `protean check` that mirror what `protean server` does before
// it starts (see check.h): providers this binary has, the alert callback,
// keys accepted but not implemented, and the worker-thread count.

#include <string>
#include <utility>

#include <toml++/toml.h>

#include "core/config/check.h"
#include "core/config/internal/toml_util.h"
#include "core/config/protean_keys.h"

namespace protean::config {
namespace {

constexpr int64_t kWorkerThreadsSpare = 2;

Finding Located(const DomainConfig& config, std::string code, FindingLevel level,
                std::string key_path, std::string message) {
  Finding finding{std::move(code), level, std::move(key_path), std::move(message),
                  config.source_file};
  if (const toml::node* node = config.table->at_path(finding.key_path).node()) {
    finding.line = node->source().begin.line;
    finding.column = node->source().begin.column;
    if (node->source().path && !node->source().path->empty()) finding.file = *node->source().path;
  }
  return finding;
}

// Builds the adapter as the server would (without connecting).
void CheckFactory(const DomainConfig& config, const CheckOptions& options, ProviderKind kind,
                  const std::string& name, const std::string& section, std::vector<Finding>& out) {
  if (!options.build_adapter) return;
  const protean::Status built = options.build_adapter(kind, name, config);
  if (built.ok()) return;
  Finding finding =
      Located(config, std::string(kConfigInvalidValue), FindingLevel::kError, section + ".provider",
              built.message() + "; the server would refuse to start");
  finding.key_path = section;
  out.push_back(std::move(finding));
}

void CheckProvider(const DomainConfig& config, const CheckOptions& options, ProviderKind kind,
                   const std::string& name, const std::string& section, const std::string& provider,
                   std::vector<Finding>& out) {
  if (!options.provider_available || options.provider_available(kind, provider)) {
    CheckFactory(config, options, kind, name, section, out);
    return;
  }
  std::string built;
  for (std::string_view known : KnownProviders(kind)) {
    if (!options.provider_available(kind, known)) continue;
    built += (built.empty() ? "" : ", ") + std::string(known);
  }
  out.push_back(Located(
      config, std::string(kConfigUnknownProvider), FindingLevel::kError, section + ".provider",
      std::string(ProviderKindName(kind)) + " provider " + QuoteForMessage(provider) +
          " is not available in this build (available: " + built +
          "); the server would refuse to start"));
}

void CheckProviders(const DomainConfig& config, const CheckOptions& options,
                    std::vector<Finding>& out) {
  for (const auto& [name, db] : config.databases) {
    CheckProvider(config, options, ProviderKind::kDatabase, name,
                  internal::JoinKeyPath("databases", name), db.provider, out);
  }
  for (const auto& [name, broker] : config.brokers) {
    CheckProvider(config, options, ProviderKind::kBroker, name,
                  internal::JoinKeyPath("brokers", name), broker.provider, out);
  }
  for (const auto& [name, cache] : config.caches) {
    CheckProvider(config, options, ProviderKind::kCache, name,
                  internal::JoinKeyPath("caches", name), cache.provider, out);
  }
  CheckProvider(config, options, ProviderKind::kEventStore, "", "event_store",
                config.event_store.provider, out);
}

void CheckUnsupported(const DomainConfig& config, std::vector<Finding>& out) {
  for (const UnsupportedKey& key : UnsupportedKeys(config)) {
    out.push_back(Finding{"UNSUPPORTED_KEY",
                          key.warning ? FindingLevel::kWarning : FindingLevel::kInfo, key.key_path,
                          key.message, key.file, key.line, key.column});
  }
}

void CheckWorkerThreads(const DomainConfig& config, std::vector<Finding>& out) {
  int64_t attempts = 0;  // at once, over every subscription
  for (const LoadedHandler& handler : config.handlers) attempts += handler.concurrency;
  const int64_t needed = attempts + kWorkerThreadsSpare;
  const int64_t threads = config.server.worker_threads;
  if (config.handlers.empty() || threads >= needed) return;
  out.push_back(Located(
      config, "WORKER_THREADS_LOW", FindingLevel::kWarning, "server.worker_threads",
      "server.worker_threads " + std::to_string(threads) + " is below " + std::to_string(needed) +
          " (" + std::to_string(config.handlers.size()) + " subscription(s) running up to " +
          std::to_string(attempts) + " attempt(s) at once on worker threads, + " +
          std::to_string(kWorkerThreadsSpare) +
          " for blocking adapter calls in flight); handlers will wait for a thread"));
}

}  // namespace

Finding FindingFromStatus(const protean::Status& status) {
  Finding finding{std::string(kConfigInvalidValue), FindingLevel::kError, "", status.message(), ""};
  if (const ErrorSource* source = status.source()) {
    finding.code = source->code;
    finding.key_path = source->key_path;
    finding.message = source->what;
    finding.file = source->file;
    finding.line = source->line;
    finding.column = source->column;
  }
  return finding;
}

void CheckStartup(const DomainConfig& config, const CheckOptions& options,
                  std::vector<Finding>& out) {
  CheckProviders(config, options, out);
  protean::Status callback =
      CheckAlertCallback(config.server.dlq, config.source_file, options.alert_callback_registered,
                         options.alert_callback_names);
  if (!callback.ok()) out.push_back(FindingFromStatus(callback));
  CheckUnsupported(config, out);
  CheckWorkerThreads(config, out);
}

}  // namespace protean::config
