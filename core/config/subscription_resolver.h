#pragma once
// Resolves each handler's SubscriptionConfig from the [server] table of a
// domain.toml and the handler's own registration (see subscription_config.h
// for the order). Constructing the resolver validates every profile and
// per-handler table up front, so a bad file fails at start-up, not at the
// first message.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/config/toml_fwd.h"

#include "core/config/domain_config.h"
#include "core/config/subscription_config.h"

namespace protean {

using AppliedKeys = std::map<std::string, ConfigEntry>;

// Throws config::ConfigurationError (CONFIG_INVALID_VALUE) located at `origin`.
[[noreturn]] void ThrowSubscriptionConfigError(const ConfigOrigin& origin,
                                               const std::string& message);
void ApplyEntry(SubscriptionConfig& config, const ConfigEntry& entry, AppliedKeys& applied);
// Range and combination checks; drops DLQ settings inherited by an event_store
// subscription and rejects the ones set explicitly (`explicit_keys`).
void ValidateSubscriptionConfig(SubscriptionConfig& config, const AppliedKeys& applied,
                                const std::set<std::string>& explicit_keys,
                                const std::string& handler);
ConfigLayer BuiltInProfileLayer(const std::string& name);
// Converts a TOML table of plain values into a layer (tables/arrays rejected).
ConfigLayer LayerFromToml(const toml::table& table, const std::string& file,
                          const std::string& key_prefix, const std::set<std::string>& skip = {});

// What a handler registration asks for (levels 5 and 6).
struct SubscriptionRequest {
  std::string handler;
  std::optional<ConfigEntry> profile;  // value: the profile name
  ConfigLayer explicit_config;         // may include subscription_type
};

class SubscriptionResolver {
 public:
  // `server` may be null (no [server] table). `file` names the source in errors.
  SubscriptionResolver(const toml::table* server, std::string file);
  // Over the [server] table of a loaded domain (in place, keeping line:column).
  explicit SubscriptionResolver(const config::DomainConfig& config);

  SubscriptionConfig Resolve(const SubscriptionRequest& request) const;
  // Handler names that have a [server.subscriptions.<name>] table.
  std::set<std::string> ConfiguredHandlers() const;

 private:
  struct HandlerTable {
    std::optional<ConfigEntry> profile;
    ConfigLayer values;
  };
  ConfigLayer ProfileLayer(const ConfigEntry& name) const;

  std::string file_;
  std::optional<ConfigEntry> default_profile_;
  ConfigLayer server_layer_;
  std::map<std::string, HandlerTable> handlers_;
  // By ProfileKey (lower case); inherited values first.
  std::map<std::string, ConfigLayer> custom_profiles_;
};

}  // namespace protean
