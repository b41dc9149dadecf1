#pragma once
// AlertCallbackRegistry: DLQ alert callbacks written in C++ and named in
// domain.toml, Protean's dotted-path form of [server.dlq] alert_callback:
//
//   protean::DefaultAlertCallbackRegistry().Register(
//       "myapp.alerts.on_dlq", [](const std::string& dlq, int64_t depth, int64_t threshold) {
//         ...; return protean::Status::Ok();
//       });
//   // then run the CLI (protean::cli::RunProteanCli) or the server
//
//   [server.dlq]
//   alert_callback = "myapp.alerts.on_dlq"
//
// `protean check` and `protean server` both look names up in
// DefaultAlertCallbackRegistry(); an unknown name is CONFIG_INVALID_VALUE at
// server.dlq.alert_callback in both, so `check` passing means the server
// starts. The syntax of every form is core/config/alert_callback_spec.h.
//
// Thread-safety: every method may be called from any thread; register before
// the engine starts (a name registered later is not seen by a running one).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/alert_callback_spec.h"
#include "core/config/domain_config.h"
#include "core/engine/engine.h"
#include "core/mutex.h"

namespace protean {

class AlertCallbackRegistry {
 public:
  // kInvalidArgument when `name` is not a dotted name (IsDottedName), is
  // already registered, or `callback` is empty.
  Status Register(const std::string& name, DlqAlertCallback callback);

  bool Contains(std::string_view name) const;
  // The callback registered as `name`, or nullopt.
  std::optional<DlqAlertCallback> Find(std::string_view name) const;
  // Registered names, sorted.
  std::vector<std::string> Names() const;
  // A lookup for config::CheckAlertCallback / config::CheckOptions; valid
  // while the registry lives.
  config::AlertCallbackLookup Lookup() const;

 private:
  mutable Mutex mutex_;
  std::map<std::string, DlqAlertCallback, std::less<>> callbacks_ PROTEAN_GUARDED_BY(mutex_);
};

// The process-wide registry `protean check` and `protean server` consult.
AlertCallbackRegistry& DefaultAlertCallbackRegistry();

// The check the server runs before it starts, and `protean check` runs too:
// Ok when [server.dlq] alert_callback is unset, a valid command:/webhook:
// form, or a name in `registry`; else CONFIG_INVALID_VALUE at
// server.dlq.alert_callback with file and line:column.
Status ValidateAlertCallback(const config::DomainConfig& config,
                             const AlertCallbackRegistry& registry);

// Builds a command:/webhook: callback (the server's factory, MakeDlqAlertCallback).
using ExternalAlertCallbackFactory = std::function<Result<DlqAlertCallback>(const std::string&)>;

// The callback the configuration names, for Engine::AddDlqAlertCallback:
// nullopt when none is configured; a registered name resolves through
// `registry`, the command:/webhook: forms through `external`. Errors as
// ValidateAlertCallback (a failing `external` too, located the same way).
Result<std::optional<DlqAlertCallback>> ResolveAlertCallback(
    const config::DomainConfig& config, const AlertCallbackRegistry& registry,
    const ExternalAlertCallbackFactory& external);

}  // namespace protean
