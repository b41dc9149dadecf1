#pragma once
// Typed, validated views of the sections of a resolved domain config.
//
// Each Read* function takes a TableReader over the resolved table and throws
// ConfigurationError on a wrong type or out-of-range value
// (CONFIG_INVALID_VALUE) or a provider name not in core/config/providers.h
// (CONFIG_UNKNOWN_PROVIDER, listing the known ones). A real provider that
// needs an address (postgresql database_uri, redis URI, ...) without one is
// CONFIG_INVALID_VALUE: a missing address never falls back to memory.
//
// Field defaults are Protean's (SQLAlchemy pool, redis-py, [server.*]). Keys
// an adapter section does not know are kept in `extra`, as Protean passes
// them through to the adapter. [server] and its tables are fully known: an
// unknown key there is CONFIG_INVALID_VALUE with line:column; keys Protean
// reads that this engine does not implement are accepted and reported by
// UnsupportedKeys (core/config/protean_keys.h). Every duration and count has
// a range (core/config/bounds.h; the table is docs/configuration.md).

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/config/config_value.h"
#include "core/config/table_reader.h"
#include "core/time.h"

namespace protean::config {

// [databases.<name>]
struct DatabaseConfig {
  std::string name;
  std::string provider;
  std::string database_uri;     // empty when not given (memory)
  int64_t pool_size = 5;        // 1..1000
  int64_t max_overflow = 10;    // 0..1000
  int64_t pool_recycle = 1800;  // seconds, -1..1e9; -1 disables recycling
  bool pool_pre_ping = true;
  std::optional<double> pool_timeout;     // seconds, (0, 86400]
  std::optional<double> connect_timeout;  // seconds, (0, 86400]
  PassThroughKeys extra;                  // other keys, passed through
};

// [brokers.<name>]. Protean spells the address `URI`; `uri` is accepted too.
struct BrokerConfig {
  std::string name;
  std::string provider;
  std::string uri;                               // empty for inline/memory
  std::optional<int64_t> max_connections;        // 1..10000
  std::optional<double> socket_timeout;          // seconds, (0, 86400]
  std::optional<double> socket_connect_timeout;  // seconds, (0, 86400]
  bool retry_on_timeout = false;
  PassThroughKeys extra;  // other keys, passed through
};

// [event_store]
struct EventStoreConfig {
  std::string provider;
  std::string database_uri;                // empty for memory
  std::optional<int64_t> max_connections;  // 1..10000
  PassThroughKeys extra;                   // other keys, passed through
};

// [caches.<name>]. Protean spells `URI` and `TTL`; lower case is accepted.
struct CacheConfig {
  std::string name;
  std::string provider;
  std::string uri;
  int64_t ttl = 300;                       // seconds, 1..1e9
  std::optional<int64_t> max_connections;  // 1..10000
  PassThroughKeys extra;                   // other keys, passed through
};

inline constexpr int64_t kWorkerThreadsDefault = 8;
inline constexpr int64_t kWorkerThreadsMax = 256;

// [server.health]
struct HealthConfig {
  bool enabled = true;
  std::string host = "127.0.0.1";
  int64_t port = 8080;  // 1..65535
  bool port_auto_increment = false;
};

// [server.dlq]
struct DlqConfig {
  bool enabled = false;
  double retention_hours = 168;        // (0, 100000]
  int64_t alert_threshold = 100;       // 1..1e9
  double check_interval_seconds = 60;  // [0.1, 86400]
  // nullopt: none. Syntax: core/config/alert_callback_spec.h (checked at
  // load); a registered name is looked up when the server starts.
  std::optional<std::string> alert_callback;
  ConfigOrigin alert_callback_origin;  // where alert_callback was set

  Duration retention() const { return SecondsF(retention_hours * 3600.0); }
  Duration check_interval() const { return SecondsF(check_interval_seconds); }
};

// [server.security]: where the API keys of the health server's /metrics and
// /drainz come from (app/server/api_keys.h). This engine's own section.
struct SecurityConfig {
  std::string api_keys_env = "API_KEYS";   // environment variable with key:tenant:scopes;...
  std::string api_keys_file;               // used when that variable is unset or empty
  int64_t admin_requests_per_minute = 30;  // per key, 1..1000000
};

// [server.priority_lanes]: Protean's two-lane routing (domain/config.py:
// 205-212, validated as in domain/validation.py:370-419). With `enabled`, a
// stream subscription also consumes `{stream}:{backfill_suffix}`, read only
// when the primary stream returned nothing, with its own DLQ
// `{stream}:{backfill_suffix}:dlq`; a message published with a priority
// strictly below `threshold` goes to that lane (core/config/priority_lanes.h).
struct PriorityLanesConfig {
  bool enabled = false;
  double threshold = 0;                      // Protean: an int or a float, not a bool
  std::string backfill_suffix = "backfill";  // non-empty, no ':' , not "dlq"
};

// [server]. Subscriptions, profiles, [server.stream_subscription] and the
// other subscription keys are resolved per handler by SubscriptionResolver
// (core/config/subscription_resolver.h), which reads the loaded table in place.
struct ServerConfig {
  HealthConfig health;
  DlqConfig dlq;
  SecurityConfig security;
  PriorityLanesConfig priority_lanes;
  Duration drain_timeout = Seconds(10);  // (0, 1e9] s
  // Engine processes, for check's connection budget (Protean: --workers).
  std::optional<int64_t> workers;  // 1..1024 when present
  // Threads of one engine process that run handler attempts and blocking
  // adapter calls (the real executor's pool); not `workers`, which counts
  // processes. `protean check` warns WORKER_THREADS_LOW below the handlers'
  // concurrency summed + 2.
  int64_t worker_threads = kWorkerThreadsDefault;  // 1..256
};

// [telemetry]
struct TelemetryConfig {
  bool enabled = false;
  std::string exporter = "otlp";  // "otlp" | "console"
  std::string endpoint = "http://localhost:4317";
  std::string service_name;  // empty: the domain's name
  PassThroughKeys extra;     // other keys, passed through
};

// [logging]: the keys this engine honours (protean_keys.cc lists the rest).
struct LoggingConfig {
  // "" (Protean: from the environment: production/staging INFO, development
  // DEBUG, test WARNING, else INFO), DEBUG, INFO, WARNING, ERROR, CRITICAL.
  std::string level;
  std::string format = "auto";  // auto | console | json
};

// `databases` is the [databases] table reader; every key must be a table.
std::map<std::string, DatabaseConfig> ReadDatabases(TableReader databases);
DatabaseConfig ReadDatabase(TableReader& reader, std::string name);

std::map<std::string, BrokerConfig> ReadBrokers(TableReader brokers);
BrokerConfig ReadBroker(TableReader& reader, std::string name);

EventStoreConfig ReadEventStore(TableReader& reader);

std::map<std::string, CacheConfig> ReadCaches(TableReader caches);
CacheConfig ReadCache(TableReader& reader, std::string name);

// `server` is the [server] table reader.
ServerConfig ReadServer(TableReader& server);

TelemetryConfig ReadTelemetry(TableReader& telemetry);

// Reads level and format; the other keys of [logging] are left to
// protean_keys.cc, which reports them at start.
LoggingConfig ReadLogging(TableReader& logging);

}  // namespace protean::config
