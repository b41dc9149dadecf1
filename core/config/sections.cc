#include "core/config/sections.h"

#include <array>
#include <sstream>
#include <string_view>
#include <utility>

#include <toml++/toml.h>

#include "core/config/configuration_error.h"
#include "core/config/internal/toml_util.h"
#include "core/config/providers.h"

namespace protean::config {
namespace {

constexpr DoubleRange kPositive{0, std::numeric_limits<double>::infinity(), true};
// Durations become int64 microseconds: keep them far below that range.
constexpr double kDurationSecondsMax = 1e9;  // about 31 years
constexpr std::array<std::string_view, 2> kExporters = {"otlp", "console"};

std::string ReadProvider(TableReader& reader, ProviderKind kind) {
  std::string provider = reader.RequiredString("provider");
  if (!IsKnownProvider(kind, provider)) {
    reader.Fail("provider", kConfigUnknownProvider,
                "unknown " + std::string(ProviderKindName(kind)) + " provider " +
                    QuoteForMessage(provider) + "; known providers: " + JoinKnownProviders(kind));
  }
  return provider;
}

// A real provider needs its address; the error points at `provider` (the
// table itself may come from the built-in defaults and have no position).
void RequireAddress(const TableReader& reader, std::string_view key, const std::string& value,
                    const std::string& provider, std::string_view hint_key = {}) {
  if (!value.empty()) return;
  std::string message = "provider " + QuoteForMessage(provider) + " needs '" + std::string(key) +
                        "' (missing or empty)";
  if (!hint_key.empty() && reader.Has(hint_key)) {
    message += "; found '" + std::string(hint_key) + "', the key is '" + std::string(key) + "'";
  }
  internal::ThrowAt(kConfigInvalidValue, reader.table().get("provider"), reader.file(),
                    reader.KeyPath(key), std::move(message));
}

// Protean's upper-case spelling (URI, TTL) or the lower-case one, not both.
std::string_view PickSpelling(const TableReader& reader, std::string_view upper,
                              std::string_view lower) {
  if (reader.Has(upper) && reader.Has(lower)) {
    reader.Fail(
        lower, kConfigInvalidValue,
        "both '" + std::string(upper) + "' and '" + std::string(lower) + "' are set; use one");
  }
  return reader.Has(lower) ? lower : upper;
}

// The keys the section did not read, as plain values with their origin.
PassThroughKeys CollectExtra(TableReader& reader) {
  PassThroughKeys extra;
  for (const std::string& key : reader.UnreadKeys()) {
    const toml::node& node = *reader.table().get(key);
    PassThroughValue v;
    const ErrorLocation where = internal::LocationOf(&node, reader.file(), reader.KeyPath(key));
    v.entry.key = key;
    v.entry.origin = ConfigOrigin{where.file, where.key_path, static_cast<int>(where.line),
                                  static_cast<int>(where.column)};
    if (auto b = node.value_exact<bool>()) {
      v.entry.value = *b;
    } else if (auto i = node.value_exact<int64_t>()) {
      v.entry.value = *i;
    } else if (auto d = node.value_exact<double>()) {
      v.entry.value = *d;
    } else if (auto str = node.value_exact<std::string>()) {
      v.entry.value = *str;
    } else {
      std::ostringstream text;
      node.visit([&text](const auto& n) { text << n; });
      v.entry.value = text.str();
      v.compound = true;
    }
    extra.emplace(key, std::move(v));
    reader.Ignore(key);
  }
  return extra;
}

// A duration > 0 in units of `unit_seconds`, short enough to convert.
double ReadDuration(TableReader& reader, std::string_view key, double default_value,
                    double unit_seconds) {
  double value = reader.Double(key, default_value, kPositive);
  if (value * unit_seconds > kDurationSecondsMax) {
    reader.Fail(key, kConfigInvalidValue,
                "expected at most " + internal::FormatDouble(kDurationSecondsMax / unit_seconds) +
                    ", got " + internal::FormatDouble(value));
  }
  return value;
}

bool NeedsAddress(std::string_view provider) {
  return provider != "memory" && provider != "inline";
}

}  // namespace

DatabaseConfig ReadDatabase(TableReader& reader, std::string name) {
  DatabaseConfig config;
  config.name = std::move(name);
  config.provider = ReadProvider(reader, ProviderKind::kDatabase);
  config.database_uri = reader.String("database_uri", "");
  if (NeedsAddress(config.provider)) {
    RequireAddress(reader, "database_uri", config.database_uri, config.provider, "database_url");
  }
  config.pool_size = reader.Int("pool_size", config.pool_size, 1);
  config.max_overflow = reader.Int("max_overflow", config.max_overflow, 0);
  config.pool_recycle = reader.Int("pool_recycle", config.pool_recycle, -1);
  config.pool_pre_ping = reader.Bool("pool_pre_ping", config.pool_pre_ping);
  config.pool_timeout = reader.OptionalDouble("pool_timeout", kPositive);
  config.connect_timeout = reader.OptionalDouble("connect_timeout", kPositive);
  config.extra = CollectExtra(reader);
  return config;
}

std::map<std::string, DatabaseConfig> ReadDatabases(TableReader databases) {
  std::map<std::string, DatabaseConfig> out;
  for (const std::string& name : databases.Keys()) {
    TableReader reader = databases.Table(name);
    out.emplace(name, ReadDatabase(reader, name));
  }
  return out;
}

BrokerConfig ReadBroker(TableReader& reader, std::string name) {
  BrokerConfig config;
  config.name = std::move(name);
  config.provider = ReadProvider(reader, ProviderKind::kBroker);
  std::string_view uri_key = PickSpelling(reader, "URI", "uri");
  config.uri = reader.String(uri_key, "");
  if (NeedsAddress(config.provider)) RequireAddress(reader, "URI", config.uri, config.provider);
  config.max_connections = reader.OptionalInt("max_connections", 1);
  config.socket_timeout = reader.OptionalDouble("socket_timeout", kPositive);
  config.socket_connect_timeout = reader.OptionalDouble("socket_connect_timeout", kPositive);
  config.retry_on_timeout = reader.Bool("retry_on_timeout", config.retry_on_timeout);
  config.extra = CollectExtra(reader);
  return config;
}

std::map<std::string, BrokerConfig> ReadBrokers(TableReader brokers) {
  std::map<std::string, BrokerConfig> out;
  for (const std::string& name : brokers.Keys()) {
    TableReader reader = brokers.Table(name);
    out.emplace(name, ReadBroker(reader, name));
  }
  return out;
}

EventStoreConfig ReadEventStore(TableReader& reader) {
  EventStoreConfig config;
  config.provider = ReadProvider(reader, ProviderKind::kEventStore);
  config.database_uri = reader.String("database_uri", "");
  if (NeedsAddress(config.provider)) {
    RequireAddress(reader, "database_uri", config.database_uri, config.provider, "database_url");
  }
  config.max_connections = reader.OptionalInt("max_connections", 1);
  config.extra = CollectExtra(reader);
  return config;
}

CacheConfig ReadCache(TableReader& reader, std::string name) {
  CacheConfig config;
  config.name = std::move(name);
  config.provider = ReadProvider(reader, ProviderKind::kCache);
  std::string_view uri_key = PickSpelling(reader, "URI", "uri");
  config.uri = reader.String(uri_key, "");
  if (NeedsAddress(config.provider)) RequireAddress(reader, "URI", config.uri, config.provider);
  std::string_view ttl_key = PickSpelling(reader, "TTL", "ttl");
  config.ttl = reader.Int(ttl_key, config.ttl, 1);
  config.max_connections = reader.OptionalInt("max_connections", 1);
  config.extra = CollectExtra(reader);
  return config;
}

std::map<std::string, CacheConfig> ReadCaches(TableReader caches) {
  std::map<std::string, CacheConfig> out;
  for (const std::string& name : caches.Keys()) {
    TableReader reader = caches.Table(name);
    out.emplace(name, ReadCache(reader, name));
  }
  return out;
}

ServerConfig ReadServer(TableReader& server) {
  ServerConfig config;
  TableReader health = server.Table("health");
  config.health.enabled = health.Bool("enabled", config.health.enabled);
  config.health.host = health.String("host", config.health.host);
  if (config.health.host.empty()) {
    health.Fail("host", kConfigInvalidValue, "expected a non-empty host, got \"\"");
  }
  config.health.port = health.Int("port", config.health.port, 1, 65535);
  config.health.port_auto_increment =
      health.Bool("port_auto_increment", config.health.port_auto_increment);
  health.RejectUnknownKeys();

  TableReader dlq = server.Table("dlq");
  config.dlq.enabled = dlq.Bool("enabled", config.dlq.enabled);
  config.dlq.retention_hours =
      ReadDuration(dlq, "retention_hours", config.dlq.retention_hours, 3600);
  config.dlq.alert_threshold = dlq.Int("alert_threshold", config.dlq.alert_threshold, 1);
  config.dlq.check_interval_seconds =
      ReadDuration(dlq, "check_interval_seconds", config.dlq.check_interval_seconds, 1);
  config.dlq.alert_callback = dlq.OptionalString("alert_callback");
  if (config.dlq.alert_callback && config.dlq.alert_callback->empty()) {
    dlq.Fail("alert_callback", kConfigInvalidValue, "expected a non-empty callback name, got \"\"");
  }
  dlq.RejectUnknownKeys();

  config.drain_timeout = SecondsF(ReadDuration(server, "drain_timeout", 10, 1));
  config.workers = server.OptionalInt("workers", 1);
  return config;
}

TelemetryConfig ReadTelemetry(TableReader& telemetry) {
  TelemetryConfig config;
  config.enabled = telemetry.Bool("enabled", config.enabled);
  config.exporter = telemetry.Enum("exporter", config.exporter, kExporters);
  config.endpoint = telemetry.String("endpoint", config.endpoint);
  config.service_name = telemetry.String("service_name", config.service_name);
  config.extra = CollectExtra(telemetry);
  return config;
}

}  // namespace protean::config
