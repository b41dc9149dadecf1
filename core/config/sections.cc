#include "core/config/sections.h"

#include <array>
#include <sstream>
#include <string_view>
#include <utility>

#include <toml++/toml.h>

#include "core/config/alert_callback_spec.h"
#include "core/config/configuration_error.h"
#include "core/config/internal/toml_util.h"
#include "core/config/providers.h"

namespace protean::config {
namespace {

// Ranges (docs/configuration.md lists them with their reasons).
constexpr CountBounds kPoolSize{1, 1000};
constexpr CountBounds kMaxOverflow{0, 1000};
constexpr CountBounds kPoolRecycle{-1, 1'000'000'000};
constexpr CountBounds kMaxConnections{1, 10000};
constexpr CountBounds kTtlSeconds{1, 1'000'000'000};
constexpr DurationBounds kClientTimeout{0, 86400};
constexpr DurationBounds kRetentionHours{0, 100000};
constexpr CountBounds kAlertThreshold{1, kCountMax};
constexpr DurationBounds kCheckInterval{
    0.1, 86400, false, "a shorter DLQ maintenance cycle would keep the broker busy"};
constexpr DurationBounds kDrainTimeout{0, kDurationSecondsMax};
constexpr CountBounds kWorkers{1, 1024};
constexpr CountBounds kWorkerThreads{1, kWorkerThreadsMax};
constexpr std::array<std::string_view, 2> kExporters = {"otlp", "console"};
constexpr std::array<std::string_view, 11> kLogLevels = {
    "",      "DEBUG", "INFO",    "WARNING", "ERROR",   "CRITICAL",
    "debug", "info",  "warning", "error",   "critical"};
constexpr std::array<std::string_view, 3> kLogFormats = {"auto", "console", "json"};

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
  config.pool_size = reader.ReadCount("pool_size", config.pool_size, kPoolSize);
  config.max_overflow = reader.ReadCount("max_overflow", config.max_overflow, kMaxOverflow);
  config.pool_recycle = reader.ReadCount("pool_recycle", config.pool_recycle, kPoolRecycle);
  config.pool_pre_ping = reader.Bool("pool_pre_ping", config.pool_pre_ping);
  config.pool_timeout = reader.ReadOptionalDuration("pool_timeout", kClientTimeout);
  config.connect_timeout = reader.ReadOptionalDuration("connect_timeout", kClientTimeout);
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
  config.max_connections = reader.ReadOptionalCount("max_connections", kMaxConnections);
  config.socket_timeout = reader.ReadOptionalDuration("socket_timeout", kClientTimeout);
  config.socket_connect_timeout =
      reader.ReadOptionalDuration("socket_connect_timeout", kClientTimeout);
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
  config.max_connections = reader.ReadOptionalCount("max_connections", kMaxConnections);
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
  config.ttl = reader.ReadCount(ttl_key, config.ttl, kTtlSeconds);
  config.max_connections = reader.ReadOptionalCount("max_connections", kMaxConnections);
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

namespace {

HealthConfig ReadHealth(TableReader& health) {
  HealthConfig config;
  config.enabled = health.Bool("enabled", config.enabled);
  config.host = health.String("host", config.host);
  if (config.host.empty()) {
    health.Fail("host", kConfigInvalidValue, "expected a non-empty host, got \"\"");
  }
  config.port = health.Int("port", config.port, 1, 65535);
  config.port_auto_increment = health.Bool("port_auto_increment", config.port_auto_increment);
  health.RejectUnknownKeys();
  return config;
}

// Protean's checks (domain/validation.py:370-419): enabled a bool, threshold
// a number (not a bool), backfill_suffix a non-empty string. Stricter here,
// each a clear error instead of a lane nobody reads: an unknown key, a suffix
// with ':' (the lane would look like a partition stream `{stream}:{key}`, and
// `protean dlq` could not tell the streams apart) and the suffix "dlq" (the
// lane would be the primary's DLQ).
PriorityLanesConfig ReadPriorityLanes(TableReader& lanes) {
  PriorityLanesConfig config;
  config.enabled = lanes.Bool("enabled", config.enabled);
  config.threshold = lanes.Double("threshold", config.threshold);
  const toml::node* suffix = lanes.table().get("backfill_suffix");
  config.backfill_suffix = lanes.String("backfill_suffix", config.backfill_suffix);
  const std::string& s = config.backfill_suffix;
  const bool blank = s.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank || s.find(':') != std::string::npos || s == "dlq") {
    internal::ThrowAt(kConfigInvalidValue, suffix, lanes.file(), lanes.KeyPath("backfill_suffix"),
                      blank ? "must be a non-empty string (Protean: domain/validation.py:413-419)"
                      : s == "dlq"
                          ? "\"dlq\" would make the backfill lane the primary stream's DLQ"
                          : "must not contain ':' (a lane is `{stream}:{backfill_suffix}`)");
  }
  lanes.RejectUnknownKeys();
  return config;
}

DlqConfig ReadDlq(TableReader& dlq) {
  DlqConfig config;
  config.enabled = dlq.Bool("enabled", config.enabled);
  config.retention_hours =
      dlq.ReadDuration("retention_hours", config.retention_hours, kRetentionHours);
  config.alert_threshold =
      dlq.ReadCount("alert_threshold", config.alert_threshold, kAlertThreshold);
  config.check_interval_seconds =
      dlq.ReadDuration("check_interval_seconds", config.check_interval_seconds, kCheckInterval);
  config.alert_callback = dlq.OptionalString("alert_callback");
  if (config.alert_callback) {
    if (config.alert_callback->empty()) {
      dlq.Fail("alert_callback", kConfigInvalidValue,
               "expected a non-empty callback name, got \"\"");
    }
    const ErrorLocation at = internal::LocationOf(dlq.table().get("alert_callback"), dlq.file(),
                                                  dlq.KeyPath("alert_callback"));
    config.alert_callback_origin =
        ConfigOrigin{at.file, at.key_path, static_cast<int>(at.line), static_cast<int>(at.column)};
    Result<AlertCallbackSpec> spec = ParseAlertCallbackSpec(*config.alert_callback);
    if (!spec.ok()) dlq.Fail("alert_callback", kConfigInvalidValue, spec.status().message());
  }
  dlq.RejectUnknownKeys();
  return config;
}

}  // namespace

ServerConfig ReadServer(TableReader& server) {
  ServerConfig config;
  TableReader health = server.Table("health");
  config.health = ReadHealth(health);
  TableReader dlq = server.Table("dlq");
  config.dlq = ReadDlq(dlq);
  TableReader security = server.Table("security");
  config.security.api_keys_env = security.String("api_keys_env", config.security.api_keys_env);
  config.security.api_keys_file = security.String("api_keys_file", "");
  config.security.admin_requests_per_minute = security.Int(
      "admin_requests_per_minute", config.security.admin_requests_per_minute, 1, 1000000);
  security.RejectUnknownKeys();
  config.drain_timeout = SecondsF(server.ReadDuration("drain_timeout", 10, kDrainTimeout));
  config.workers = server.ReadOptionalCount("workers", kWorkers);
  config.worker_threads = server.ReadCount("worker_threads", config.worker_threads, kWorkerThreads);
  // Read in place by SubscriptionResolver (which the loader runs, so their
  // values are validated at load too).
  for (std::string_view key : {"default_subscription_type", "default_subscription_profile",
                               "messages_per_tick", "tick_interval", "stream_subscription",
                               "event_store_subscription", "subscriptions", "profiles"}) {
    server.Ignore(key);
  }
  TableReader lanes = server.Table("priority_lanes");
  config.priority_lanes = ReadPriorityLanes(lanes);
  // Protean's sections this engine does not implement: accepted (they must be
  // tables) and reported by UnsupportedKeys.
  for (std::string_view key :
       {"broker_subscription", "version_retry", "transient_retry", "partitioning"}) {
    server.OptionalTable(key);
  }
  server.RejectUnknownKeys();
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

LoggingConfig ReadLogging(TableReader& logging) {
  LoggingConfig config;
  config.level = logging.Enum("level", config.level, kLogLevels);
  config.format = logging.Enum("format", config.format, kLogFormats);
  return config;
}

}  // namespace protean::config
