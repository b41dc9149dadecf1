#include "core/config/sections.h"

#include <tuple>

#include <gtest/gtest.h>

#include "core/config/domain_config.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::CaptureError;
using testing::ParseText;

TEST(DatabaseSectionTest, PostgresDefaultsAndExtras) {
  DomainConfig config = ParseText(R"(
[databases.default]
provider = "postgresql"
database_uri = "postgresql://u:p@h:5432/db"
schema = "app"
echo = true
)");
  const DatabaseConfig& db = config.databases.at("default");
  EXPECT_EQ(db.name, "default");
  EXPECT_EQ(db.provider, "postgresql");
  EXPECT_EQ(db.database_uri, "postgresql://u:p@h:5432/db");
  EXPECT_EQ(db.pool_size, 5);
  EXPECT_EQ(db.max_overflow, 10);
  EXPECT_EQ(db.pool_recycle, 1800);
  EXPECT_TRUE(db.pool_pre_ping);
  EXPECT_FALSE(db.pool_timeout.has_value());
  EXPECT_FALSE(db.connect_timeout.has_value());
  EXPECT_EQ(db.extra.size(), 2u);
  EXPECT_EQ(std::get<std::string>(db.extra.at("schema").entry.value), "app");
  EXPECT_EQ(std::get<bool>(db.extra.at("echo").entry.value), true);
}

TEST(DatabaseSectionTest, ExplicitPoolSettingsAndSeveralDatabases) {
  DomainConfig config = ParseText(R"(
[databases.default]
provider = "postgresql"
database_uri = "postgresql://h/db"
pool_size = 10
max_overflow = 0
pool_recycle = -1
pool_pre_ping = false
pool_timeout = 2.5
connect_timeout = 3

[databases.analytics]
provider = "elasticsearch"
database_uri = "{'hosts': ['localhost']}"

[databases.local]
provider = "sqlite"
database_uri = "sqlite:///local.db"
)");
  ASSERT_EQ(config.databases.size(), 4u);  // + the default "memory"
  const DatabaseConfig& db = config.databases.at("default");
  EXPECT_EQ(db.pool_size, 10);
  EXPECT_EQ(db.max_overflow, 0);
  EXPECT_EQ(db.pool_recycle, -1);
  EXPECT_FALSE(db.pool_pre_ping);
  EXPECT_EQ(db.pool_timeout, 2.5);
  EXPECT_EQ(db.connect_timeout, 3.0);
  EXPECT_EQ(config.databases.at("analytics").provider, "elasticsearch");
  EXPECT_EQ(config.databases.at("local").database_uri, "sqlite:///local.db");
  EXPECT_EQ(config.databases.at("memory").provider, "memory");
}

struct BadValue {
  std::string_view toml;
  std::string_view key_path;
  std::string_view message;
  uint32_t line;
};

class InvalidValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(InvalidValueTest, IsConfigInvalidValueWithKeyAndPosition) {
  const BadValue& bad = GetParam();
  ConfigurationError e = CaptureError([&] { ParseText(bad.toml); });
  EXPECT_EQ(e.code, kConfigInvalidValue) << e.what();
  EXPECT_EQ(e.file, "domain.toml");
  EXPECT_EQ(e.key_path, bad.key_path);
  EXPECT_EQ(e.message, bad.message);
  EXPECT_EQ(e.line, bad.line);
  EXPECT_GT(e.column, 0u);
}

constexpr std::string_view kPg =
    "[databases.default]\nprovider = \"postgresql\"\n"
    "database_uri = \"postgresql://h/db\"\n";

INSTANTIATE_TEST_SUITE_P(
    Sections, InvalidValueTest,
    ::testing::Values(
        BadValue{"[databases.default]\nprovider = \"postgresql\"\ndatabase_uri = \"x\"\n"
                 "pool_size = \"ten\"\n",
                 "databases.default.pool_size", "expected an integer >= 1, got \"ten\"", 4},
        BadValue{"[databases.default]\nprovider = \"postgresql\"\ndatabase_uri = \"x\"\n"
                 "pool_size = 0\n",
                 "databases.default.pool_size", "expected an integer >= 1, got 0", 4},
        BadValue{"[databases.default]\nprovider = \"postgresql\"\ndatabase_uri = \"x\"\n"
                 "pool_size = 5.5\n",
                 "databases.default.pool_size", "expected an integer >= 1, got 5.5", 4},
        BadValue{"[databases.default]\nprovider = \"postgresql\"\ndatabase_uri = \"x\"\n"
                 "max_overflow = -1\n",
                 "databases.default.max_overflow", "expected an integer >= 0, got -1", 4},
        BadValue{"[databases.default]\nprovider = \"postgresql\"\ndatabase_uri = \"x\"\n"
                 "pool_pre_ping = \"yes\"\n",
                 "databases.default.pool_pre_ping", "expected a boolean, got \"yes\"", 4},
        BadValue{"[databases.default]\nprovider = \"postgresql\"\ndatabase_uri = \"x\"\n"
                 "pool_timeout = 0\n",
                 "databases.default.pool_timeout", "expected a number > 0, got 0", 4},
        BadValue{"[databases.default]\nprovider = \"postgresql\"\n",
                 "databases.default.database_uri",
                 "provider \"postgresql\" needs 'database_uri' (missing or empty)", 2},
        BadValue{"[databases.default]\nprovider = \"sqlite\"\ndatabase_url = \"sqlite:///x\"\n",
                 "databases.default.database_uri",
                 "provider \"sqlite\" needs 'database_uri' (missing or empty); found "
                 "'database_url', the key is 'database_uri'",
                 2},
        BadValue{"[databases]\ndefault = \"memory\"\n", "databases.default",
                 "expected a table, got \"memory\"", 2},
        BadValue{"[brokers.default]\nprovider = \"redis\"\n", "brokers.default.URI",
                 "provider \"redis\" needs 'URI' (missing or empty)", 2},
        BadValue{
            "[brokers.default]\nprovider = \"redis\"\nURI = \"redis://a\"\nuri = \"redis://b\"\n",
            "brokers.default.uri", "both 'URI' and 'uri' are set; use one", 4},
        BadValue{
            "[brokers.default]\nprovider = \"redis\"\nURI = \"redis://a\"\nmax_connections = 0\n",
            "brokers.default.max_connections", "expected an integer >= 1, got 0", 4},
        BadValue{"[brokers.default]\nprovider = \"redis\"\nURI = \"redis://a\"\n"
                 "socket_timeout = \"5\"\n",
                 "brokers.default.socket_timeout",
                 "expected a number > 0, got \"5\" (a quoted or substituted value is a string; "
                 "write the number unquoted)",
                 4},
        BadValue{"[brokers.default]\nprovider = \"inline\"\nretry_on_timeout = 1\n",
                 "brokers.default.retry_on_timeout", "expected a boolean, got 1", 3},
        BadValue{"[event_store]\nprovider = \"message_db\"\n", "event_store.database_uri",
                 "provider \"message_db\" needs 'database_uri' (missing or empty)", 2},
        BadValue{"[event_store]\nprovider = \"memory\"\nmax_connections = -2\n",
                 "event_store.max_connections", "expected an integer >= 1, got -2", 3},
        BadValue{"[caches.default]\nprovider = \"memory\"\nTTL = 0\n", "caches.default.TTL",
                 "expected an integer >= 1, got 0", 3},
        BadValue{"[caches.default]\nprovider = \"redis\"\n", "caches.default.URI",
                 "provider \"redis\" needs 'URI' (missing or empty)", 2},
        BadValue{"[server.health]\nport = 70000\n", "server.health.port",
                 "expected an integer in 1..65535, got 70000", 2},
        BadValue{"[server.health]\nport = 0\n", "server.health.port",
                 "expected an integer in 1..65535, got 0", 2},
        BadValue{"[server.health]\nhost = \"\"\n", "server.health.host",
                 "expected a non-empty host, got \"\"", 2},
        BadValue{"[server.health]\nprot = 8081\n", "server.health.prot", "unknown key 'prot'", 2},
        BadValue{"[server.dlq]\nretention_hours = 0\n", "server.dlq.retention_hours",
                 "expected a number > 0, got 0", 2},
        BadValue{"[server.dlq]\nalert_threshold = 0\n", "server.dlq.alert_threshold",
                 "expected an integer >= 1, got 0", 2},
        BadValue{"[server.dlq]\ncheck_interval_seconds = -5\n", "server.dlq.check_interval_seconds",
                 "expected a number > 0, got -5", 2},
        BadValue{"[server.dlq]\nenabled = \"true\"\n", "server.dlq.enabled",
                 "expected a boolean, got \"true\"", 2},
        BadValue{"[server.dlq]\nretention = 5\n", "server.dlq.retention", "unknown key 'retention'",
                 2},
        BadValue{"[server]\ndrain_timeout = inf\n", "server.drain_timeout",
                 "expected a number > 0, got inf", 2},
        BadValue{"[server]\ndrain_timeout = 1e12\n", "server.drain_timeout",
                 "expected at most 1e+09, got 1e+12", 2},
        BadValue{"[server.dlq]\nretention_hours = nan\n", "server.dlq.retention_hours",
                 "expected a number > 0, got nan", 2},
        BadValue{"[server]\nworkers = 0\n", "server.workers", "expected an integer >= 1, got 0", 2},
        BadValue{"[telemetry]\nexporter = \"zipkin\"\n", "telemetry.exporter",
                 "expected one of \"otlp\", \"console\", got \"zipkin\"", 2}));

TEST(ProviderTest, UnknownProviderListsTheKnownOnes) {
  struct Case {
    std::string_view toml;
    std::string_view key_path;
    std::string_view message;
  };
  for (const Case& c : {
           Case{"[databases.default]\nprovider = \"mongodb\"\n", "databases.default.provider",
                "unknown database provider \"mongodb\"; known providers: memory, postgresql, "
                "sqlite, mssql, elasticsearch"},
           Case{"[brokers.default]\nprovider = \"kafka\"\n", "brokers.default.provider",
                "unknown broker provider \"kafka\"; known providers: inline, memory, redis, "
                "redis_pubsub"},
           Case{"[event_store]\nprovider = \"eventstoredb\"\n", "event_store.provider",
                "unknown event store provider \"eventstoredb\"; known providers: memory, "
                "message_db"},
           Case{"[caches.default]\nprovider = \"memcached\"\n", "caches.default.provider",
                "unknown cache provider \"memcached\"; known providers: memory, redis"},
       }) {
    ConfigurationError e = CaptureError([&] { ParseText(c.toml); });
    EXPECT_EQ(e.code, kConfigUnknownProvider);
    EXPECT_EQ(e.file, "domain.toml");
    EXPECT_EQ(e.key_path, c.key_path);
    EXPECT_EQ(e.message, c.message);
    EXPECT_EQ(e.line, 2u);
    EXPECT_EQ(e.column, 12u);
  }
}

TEST(ProviderTest, MissingProviderIsInvalid) {
  ConfigurationError e = CaptureError([] { ParseText("[caches.sessions]\nTTL = 60\n"); });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_EQ(e.key_path, "caches.sessions.provider");
  EXPECT_EQ(e.message, "missing required key 'provider'");
}

TEST(BrokerSectionTest, AcceptsBothSpellingsAndRedisSettings) {
  DomainConfig config = ParseText(R"(
[brokers.default]
provider = "redis"
URI = "redis://localhost:6379/0"
max_connections = 50
socket_timeout = 5
socket_connect_timeout = 2.5
retry_on_timeout = true
health_check_interval = 30

[brokers.notifications]
provider = "redis_pubsub"
uri = "redis://localhost:6379/3"
)");
  const BrokerConfig& broker = config.brokers.at("default");
  EXPECT_EQ(broker.uri, "redis://localhost:6379/0");
  EXPECT_EQ(broker.max_connections, 50);
  EXPECT_EQ(broker.socket_timeout, 5.0);
  EXPECT_EQ(broker.socket_connect_timeout, 2.5);
  EXPECT_TRUE(broker.retry_on_timeout);
  EXPECT_EQ(std::get<int64_t>(broker.extra.at("health_check_interval").entry.value), 30);
  EXPECT_EQ(config.brokers.at("notifications").uri, "redis://localhost:6379/3");
  EXPECT_FALSE(config.brokers.at("notifications").retry_on_timeout);
}

TEST(EventStoreAndCacheSectionTest, ReadsTheirSettings) {
  DomainConfig config = ParseText(R"(
[event_store]
provider = "message_db"
database_uri = "postgresql://message_store@localhost:5433/message_store"
max_connections = 20

[caches.default]
provider = "redis"
uri = "redis://localhost:6379/2"
ttl = 60
max_connections = 8
)");
  EXPECT_EQ(config.event_store.provider, "message_db");
  EXPECT_EQ(config.event_store.max_connections, 20);
  const CacheConfig& cache = config.caches.at("default");
  EXPECT_EQ(cache.uri, "redis://localhost:6379/2");
  EXPECT_EQ(cache.ttl, 60);
  EXPECT_EQ(cache.max_connections, 8);
}

TEST(ServerSectionTest, ReadsHealthDlqAndKeepsTheResolvedTable) {
  DomainConfig config = ParseText(R"(
[server]
drain_timeout = 30
workers = 4

[server.health]
host = "0.0.0.0"
port = 9090
port_auto_increment = true

[server.dlq]
enabled = true
retention_hours = 720
alert_threshold = 10
check_interval_seconds = 0.5
alert_callback = "myapp.alerts.on_dlq_alert"

[server.subscriptions.AuditHandler]
profile = "PRODUCTION"
)");
  const ServerConfig& server = config.server;
  EXPECT_EQ(server.drain_timeout, Seconds(30));
  EXPECT_EQ(server.workers, 4);
  EXPECT_EQ(server.health.host, "0.0.0.0");
  EXPECT_EQ(server.health.port, 9090);
  EXPECT_TRUE(server.health.port_auto_increment);
  EXPECT_TRUE(server.dlq.enabled);
  EXPECT_DOUBLE_EQ(server.dlq.retention_hours, 720);
  EXPECT_EQ(server.dlq.retention(), Seconds(720 * 3600));
  EXPECT_EQ(server.dlq.alert_threshold, 10);
  EXPECT_EQ(server.dlq.check_interval(), Millis(500));
  EXPECT_EQ(server.dlq.alert_callback, "myapp.alerts.on_dlq_alert");
  EXPECT_EQ(config.table->at_path("server.subscriptions.AuditHandler.profile").value<std::string>(),
            "PRODUCTION");
  EXPECT_EQ(config.table->at_path("server.health.port").value<int64_t>(), 9090);
}

TEST(TelemetrySectionTest, DefaultsAndValues) {
  EXPECT_EQ(ParseText("").telemetry.exporter, "otlp");
  DomainConfig config = ParseText(R"(
[telemetry]
enabled = true
exporter = "console"
endpoint = "http://otel-collector:4317"
service_name = "my-service"
)");
  EXPECT_TRUE(config.telemetry.enabled);
  EXPECT_EQ(config.telemetry.exporter, "console");
  EXPECT_EQ(config.telemetry.endpoint, "http://otel-collector:4317");
  EXPECT_EQ(config.telemetry.service_name, "my-service");
}

TEST(OperatingSectionsTest, LoggingAndSecurityAreReadWithTheirDefaults) {
  DomainConfig defaults = ParseText("");
  EXPECT_EQ(defaults.logging.level, "");
  EXPECT_EQ(defaults.logging.format, "auto");
  EXPECT_EQ(defaults.server.security.api_keys_env, "API_KEYS");
  EXPECT_EQ(defaults.server.security.admin_requests_per_minute, 30);
  DomainConfig set = ParseText(
      "[logging]\nlevel = \"WARNING\"\nformat = \"json\"\n"
      "[server.security]\napi_keys_env = \"OPS_KEYS\"\napi_keys_file = \"/etc/k\"\n"
      "admin_requests_per_minute = 5\n");
  EXPECT_EQ(set.logging.level, "WARNING");
  EXPECT_EQ(set.logging.format, "json");
  EXPECT_EQ(set.server.security.api_keys_env, "OPS_KEYS");
  EXPECT_EQ(set.server.security.api_keys_file, "/etc/k");
  EXPECT_EQ(set.server.security.admin_requests_per_minute, 5);
}

TEST(OperatingSectionsTest, BadValuesNameTheKeyAndLine) {
  for (const auto& [text, key, line] :
       {std::tuple<std::string_view, std::string_view, uint32_t>{"[logging]\nlevel = \"LOUD\"\n",
                                                                 "logging.level", 2},
        {"[server.security]\nadmin_requests_per_minute = 0\n",
         "server.security.admin_requests_per_minute", 2},
        {"[server.security]\napi_keys = \"k:t:admin\"\n", "server.security.api_keys", 2}}) {
    const std::string_view file_text = text;  // clang 14 cannot capture a structured binding
    ConfigurationError e = CaptureError([&] { ParseText(file_text); });
    EXPECT_EQ(e.file, "domain.toml") << text;
    EXPECT_EQ(e.key_path, key) << e.what();
    EXPECT_EQ(e.line, line) << e.what();
  }
}

}  // namespace
}  // namespace protean::config
