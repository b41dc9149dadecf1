#include "core/config/subscription_resolver.h"

#include <map>

#include <toml++/toml.h>

#include "core/config/configuration_error.h"
#include "core/config/protean_keys.h"

namespace protean {

void ThrowSubscriptionConfigError(const ConfigOrigin& origin, const std::string& message) {
  throw config::ConfigurationError(
      config::kConfigInvalidValue,
      config::ErrorLocation{origin.file, origin.key_path, static_cast<uint32_t>(origin.line),
                            static_cast<uint32_t>(origin.column)},
      message);
}

namespace {

ConfigOrigin OriginOf(const toml::node& node, const std::string& file, const std::string& path) {
  const auto& src = node.source();
  return ConfigOrigin{file, path, static_cast<int>(src.begin.line),
                      static_cast<int>(src.begin.column)};
}

ConfigEntry EntryFromNode(const std::string& key, const toml::node& node, const std::string& file,
                          const std::string& path) {
  const ConfigOrigin origin = OriginOf(node, file, path);
  if (auto b = node.value_exact<bool>()) return {key, *b, origin};
  if (auto i = node.value_exact<int64_t>()) return {key, *i, origin};
  if (auto d = node.value_exact<double>()) return {key, *d, origin};
  if (auto s = node.value_exact<std::string>()) return {key, *s, origin};
  ThrowSubscriptionConfigError(origin, "expected a plain value (string, number or boolean)");
}

std::string Join(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

const toml::table* ChildTable(const toml::table& parent, std::string_view key,
                              const std::string& file, const std::string& path) {
  const toml::node* node = parent.get(key);
  if (node == nullptr) return nullptr;
  if (const toml::table* t = node->as_table()) return t;
  ThrowSubscriptionConfigError(OriginOf(*node, file, Join(path, key)), "expected a table");
}

// Applies `layer` to a scratch config so unknown keys and wrong types fail early.
void CheckLayer(const ConfigLayer& layer) {
  SubscriptionConfig scratch;
  AppliedKeys applied;
  for (const auto& e : layer) ApplyEntry(scratch, e, applied);
}

}  // namespace

ConfigLayer LayerFromToml(const toml::table& table, const std::string& file,
                          const std::string& key_prefix, const std::set<std::string>& skip) {
  ConfigLayer layer;
  for (auto&& [key, node] : table) {
    const std::string k(key.str());
    if (skip.count(k)) continue;
    layer.push_back(EntryFromNode(k, node, file, Join(key_prefix, k)));
  }
  return layer;
}

SubscriptionResolver::SubscriptionResolver(const config::DomainConfig& config)
    : SubscriptionResolver(
          [&]() -> const toml::table* {
            const toml::node* server =
                config.table != nullptr ? config.table->get("server") : nullptr;
            return server != nullptr ? server->as_table() : nullptr;
          }(),
          config.source_file) {}

SubscriptionResolver::SubscriptionResolver(const toml::table* server, std::string file)
    : file_(std::move(file)) {
  if (server == nullptr) return;
  const std::string base = "server";
  // Custom profiles first: handler tables may name them.
  if (const toml::table* profiles = ChildTable(*server, "profiles", file_, base)) {
    for (auto&& [key, node] : *profiles) {
      const std::string name(key.str());
      const std::string path = base + ".profiles." + name;
      const toml::table* t = node.as_table();
      if (t == nullptr)
        ThrowSubscriptionConfigError(OriginOf(node, file_, path), "expected a table");
      if (IsBuiltInProfile(name)) {
        ThrowSubscriptionConfigError(OriginOf(node, file_, path),
                                     "'" + name + "' is a built-in profile name and is reserved");
      }
      ConfigLayer layer;
      if (const toml::node* inherits = t->get("inherits")) {
        const ConfigEntry e = EntryFromNode("inherits", *inherits, file_, path + ".inherits");
        const auto* parent = std::get_if<std::string>(&e.value);
        if (parent == nullptr || !IsBuiltInProfile(*parent)) {
          ThrowSubscriptionConfigError(
              e.origin,
              "inherits must name a built-in profile (PRODUCTION, FAST, BATCH, DEBUG, "
              "PROJECTION)");
        }
        layer = BuiltInProfileLayer(*parent);
      }
      ConfigLayer own = LayerFromToml(*t, file_, path, {"inherits"});
      CheckLayer(own);
      layer.insert(layer.end(), own.begin(), own.end());
      if (!custom_profiles_.emplace(ProfileKey(name), std::move(layer)).second) {
        ThrowSubscriptionConfigError(
            OriginOf(node, file_, path),
            "profile '" + name + "' is defined twice (profile names ignore case)");
      }
    }
  }
  if (const toml::node* dp = server->get("default_subscription_profile")) {
    default_profile_ = EntryFromNode("profile", *dp, file_, base + ".default_subscription_profile");
    ProfileLayer(*default_profile_);  // validates the name
  }
  if (const toml::node* t = server->get("default_subscription_type")) {
    server_layer_.push_back(
        EntryFromNode("subscription_type", *t, file_, base + ".default_subscription_type"));
  }
  for (const char* key : {"messages_per_tick", "tick_interval"}) {
    if (const toml::node* n = server->get(key)) {
      server_layer_.push_back(EntryFromNode(key, *n, file_, Join(base, key)));
    }
  }
  if (const toml::table* ss = ChildTable(*server, "stream_subscription", file_, base)) {
    ConfigLayer l = LayerFromToml(*ss, file_, base + ".stream_subscription");
    server_layer_.insert(server_layer_.end(), l.begin(), l.end());
  }
  if (const toml::table* es = ChildTable(*server, "event_store_subscription", file_, base)) {
    for (auto&& [key, node] : *es) {
      const std::string k(key.str());
      const std::string path = base + ".event_store_subscription." + k;
      // Protean's recovery keys (event_store_subscription.py:177-200). Its
      // max_retries / retry_delay_seconds here are the recovery pass's, not
      // the in-place retries of a subscription's max_retries: they are
      // applied under the recovery_ names (the origin keeps the file's key).
      static const std::map<std::string, std::string> kRecoveryKeys = {
          {"max_retries", "recovery_max_retries"},
          {"retry_delay_seconds", "recovery_retry_delay_seconds"},
          {"enable_recovery", "enable_recovery"},
          {"recovery_interval_seconds", "recovery_interval_seconds"}};
      if (k == "position_update_interval") {
        server_layer_.push_back(EntryFromNode(k, node, file_, path));
        continue;
      }
      if (auto it = kRecoveryKeys.find(k); it != kRecoveryKeys.end()) {
        server_layer_.push_back(EntryFromNode(it->second, node, file_, path));
        continue;
      }
      // gap_timeout_seconds: accepted, reported by UnsupportedKeys.
      const std::vector<std::string> segments = {"server", "event_store_subscription", k};
      const config::ProteanKey* known = config::FindProteanKey(segments);
      if (known != nullptr && known->support == config::KeySupport::kUnsupported) continue;
      ThrowSubscriptionConfigError(
          OriginOf(node, file_, path),
          "unknown key '" + k +
              "' (known here: position_update_interval, max_retries, retry_delay_seconds, "
              "enable_recovery, recovery_interval_seconds, and Protean's gap_timeout_seconds, "
              "which this engine accepts but does not implement)");
    }
  }
  CheckLayer(server_layer_);
  if (const toml::table* subs = ChildTable(*server, "subscriptions", file_, base)) {
    for (auto&& [key, node] : *subs) {
      const std::string name(key.str());
      const std::string path = base + ".subscriptions." + name;
      const toml::table* t = node.as_table();
      if (t == nullptr)
        ThrowSubscriptionConfigError(OriginOf(node, file_, path), "expected a table");
      HandlerTable ht;
      for (const char* pk : {"profile", "subscription_profile"}) {
        if (const toml::node* p = t->get(pk)) {
          ht.profile = EntryFromNode("profile", *p, file_, path + "." + pk);
          ProfileLayer(*ht.profile);
        }
      }
      // stream_category: documented by Protean, dropped by its resolver too.
      ht.values =
          LayerFromToml(*t, file_, path, {"profile", "subscription_profile", "stream_category"});
      CheckLayer(ht.values);
      handlers_[name] = std::move(ht);
    }
  }
}

ConfigLayer SubscriptionResolver::ProfileLayer(const ConfigEntry& name_entry) const {
  const auto* name = std::get_if<std::string>(&name_entry.value);
  if (name == nullptr) ThrowSubscriptionConfigError(name_entry.origin, "expected a profile name");
  if (IsBuiltInProfile(*name)) return BuiltInProfileLayer(*name);
  auto it = custom_profiles_.find(ProfileKey(*name));
  if (it != custom_profiles_.end()) return it->second;
  std::string known;
  for (const auto& n : BuiltInProfileNames()) known += (known.empty() ? "" : ", ") + n;
  for (const auto& [n, _] : custom_profiles_) known += ", " + n;
  ThrowSubscriptionConfigError(name_entry.origin,
                               "unknown profile '" + *name + "' (known: " + known + ")");
}

SubscriptionConfig SubscriptionResolver::Resolve(const SubscriptionRequest& request) const {
  SubscriptionConfig config = DefaultSubscriptionConfig();
  AppliedKeys applied;
  std::set<std::string> explicit_keys;
  auto apply = [&](const ConfigLayer& layer, bool is_explicit) {
    for (const auto& e : layer) {
      ApplyEntry(config, e, applied);
      if (is_explicit) explicit_keys.insert(e.key == "source_stream" ? "origin_stream" : e.key);
    }
  };
  auto apply_profile = [&](const ConfigEntry& p) {
    apply(ProfileLayer(p), false);
    config.profile = std::get<std::string>(p.value);
  };
  const auto hit = handlers_.find(request.handler);
  const HandlerTable* table = hit == handlers_.end() ? nullptr : &hit->second;
  const bool higher_profile = request.profile || (table && table->profile);
  if (default_profile_ && !higher_profile) apply_profile(*default_profile_);  // level 2
  apply(server_layer_, false);                                                // level 3
  if (table) {                                                                // level 4
    if (table->profile) apply_profile(*table->profile);
    apply(table->values, true);
  }
  if (request.profile) apply_profile(*request.profile);  // level 5
  apply(request.explicit_config, true);                  // level 6
  ValidateSubscriptionConfig(config, applied, explicit_keys, request.handler);
  return config;
}

std::set<std::string> SubscriptionResolver::ConfiguredHandlers() const {
  std::set<std::string> names;
  for (const auto& [name, _] : handlers_) names.insert(name);
  return names;
}

}  // namespace protean
