#include "core/config/defaults.h"

#include <algorithm>
#include <array>
#include <string>

#include <toml++/toml.h>

namespace protean::config {
namespace {

// Every top-level key of Protean's domain/config.py defaults (the inventory
// of core/config/protean_keys.h cites each), plus `lint` (read by Protean's
// check) and `handlers` (this project's scripted handlers declared in TOML;
// see core/engine/scripted_handler.h).
constexpr std::array<std::string_view, 29> kTopLevelKeys = {"debug",
                                                            "testing",
                                                            "env",
                                                            "secret_key",
                                                            "source_uri",
                                                            "identity_strategy",
                                                            "identity_type",
                                                            "event_processing",
                                                            "command_processing",
                                                            "message_processing",
                                                            "lenient_deserialization",
                                                            "command_default_timeout",
                                                            "enable_outbox",
                                                            "outbox",
                                                            "databases",
                                                            "brokers",
                                                            "event_store",
                                                            "caches",
                                                            "email_providers",
                                                            "server",
                                                            "idempotency",
                                                            "consume_idempotency",
                                                            "logging",
                                                            "telemetry",
                                                            "observatory",
                                                            "custom",
                                                            "lint",
                                                            "snapshot_threshold",
                                                            "handlers"};

constexpr std::array<std::string_view, 9> kEnvironmentNames = {
    "production", "prod", "staging", "development", "dev", "test", "testing", "memory", "ci"};

toml::table ProviderTable(std::string_view provider) {
  return toml::table{{"provider", std::string(provider)}};
}

toml::table OutboxDefaults() {
  return toml::table{
      {"broker", "default"},
      {"messages_per_tick", 50},
      {"tick_interval", 0.01},
      {"retry", toml::table{{"max_attempts", 3},
                            {"base_delay_seconds", 1},
                            {"max_backoff_seconds", 60},
                            {"backoff_multiplier", 2},
                            {"jitter", true},
                            {"jitter_factor", 0.25}}},
      {"cleanup", toml::table{{"published_retention_hours", 168},
                              {"abandoned_retention_hours", 720},
                              {"cleanup_interval_ticks", 86400}}},
  };
}

toml::table ServerDefaults() {
  return toml::table{
      {"drain_timeout", 10},
      {"health", toml::table{{"enabled", true},
                             {"host", "127.0.0.1"},
                             {"port", 8080},
                             {"port_auto_increment", false}}},
      {"dlq", toml::table{{"enabled", false},
                          {"retention_hours", 168},
                          {"alert_threshold", 100},
                          {"check_interval_seconds", 60}}},
  };
}

}  // namespace

toml::table DefaultConfigTable() {
  toml::table caches_default = ProviderTable("memory");
  caches_default.insert_or_assign("TTL", 300);
  return toml::table{
      {"event_processing", "async"},
      {"command_processing", "async"},
      {"message_processing", "async"},
      {"enable_outbox", false},
      {"outbox", OutboxDefaults()},
      {"databases",
       toml::table{{"default", ProviderTable("memory")}, {"memory", ProviderTable("memory")}}},
      {"brokers", toml::table{{"default", ProviderTable("inline")}}},
      {"event_store", ProviderTable("memory")},
      {"caches", toml::table{{"default", std::move(caches_default)}}},
      {"server", ServerDefaults()},
  };
}

std::span<const std::string_view> KnownTopLevelKeys() { return kTopLevelKeys; }

bool IsKnownTopLevelKey(std::string_view key) {
  return std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), key) != kTopLevelKeys.end();
}

std::span<const std::string_view> StandardEnvironmentNames() { return kEnvironmentNames; }

bool IsStandardEnvironmentName(std::string_view name) {
  return std::find(kEnvironmentNames.begin(), kEnvironmentNames.end(), name) !=
         kEnvironmentNames.end();
}

}  // namespace protean::config
