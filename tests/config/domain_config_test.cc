#include "core/config/domain_config.h"

#include <gtest/gtest.h>

#include "core/config/defaults.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::CaptureError;
using testing::FakeEnv;
using testing::ParseText;

TEST(DomainConfigTest, EmptyFileGetsProteanDefaults) {
  DomainConfig config = ParseText("");
  EXPECT_EQ(config.event_processing, "async");
  EXPECT_EQ(config.command_processing, "async");
  EXPECT_EQ(config.message_processing, "async");
  EXPECT_EQ(config.databases.at("default").provider, "memory");
  EXPECT_EQ(config.databases.at("memory").provider, "memory");
  EXPECT_EQ(config.brokers.at("default").provider, "inline");
  EXPECT_EQ(config.event_store.provider, "memory");
  EXPECT_EQ(config.caches.at("default").provider, "memory");
  EXPECT_EQ(config.caches.at("default").ttl, 300);
  EXPECT_TRUE(config.server.health.enabled);
  EXPECT_EQ(config.server.health.host, "127.0.0.1");
  EXPECT_EQ(config.server.health.port, 8080);
  EXPECT_FALSE(config.server.health.port_auto_increment);
  EXPECT_FALSE(config.server.dlq.enabled);
  EXPECT_DOUBLE_EQ(config.server.dlq.retention_hours, 168);
  EXPECT_EQ(config.server.dlq.alert_threshold, 100);
  EXPECT_DOUBLE_EQ(config.server.dlq.check_interval_seconds, 60);
  EXPECT_FALSE(config.server.dlq.alert_callback.has_value());
  EXPECT_EQ(config.server.drain_timeout, Seconds(10));
  EXPECT_FALSE(config.server.workers.has_value());
  EXPECT_FALSE(config.telemetry.enabled);
  // The same defaults are in the resolved table.
  EXPECT_EQ(config.table->at_path("caches.default.TTL").value<int64_t>(), 300);
  EXPECT_EQ(config.table->at_path("server.health.port").value<int64_t>(), 8080);
  EXPECT_EQ(config.table->at_path("server.dlq.retention_hours").value<int64_t>(), 168);
  EXPECT_EQ(config.table->at_path("server.drain_timeout").value<int64_t>(), 10);
  EXPECT_EQ(config.table->at_path("brokers.default.provider").value<std::string>(), "inline");
  EXPECT_EQ((*config.table)["enable_outbox"].value<bool>(), false);
}

TEST(DomainConfigTest, FileWinsOverDefaultsWhichFillTheGaps) {
  DomainConfig config = ParseText(R"(
[caches.default]
provider = "redis"
URI = "redis://localhost:6379/2"

[server.health]
port = 9000
)");
  EXPECT_EQ(config.caches.at("default").provider, "redis");
  EXPECT_EQ(config.caches.at("default").ttl, 300);  // default under the file's table
  EXPECT_EQ(config.server.health.port, 9000);
  EXPECT_EQ(config.server.health.host, "127.0.0.1");
  EXPECT_EQ(config.databases.size(), 2u);
}

constexpr std::string_view kOverlays = R"(debug = true
event_processing = "sync"

[databases.default]
provider = "memory"

[staging]
event_processing = "async"

[staging.databases.default]
provider = "sqlite"
database_uri = "sqlite:///staging.db"

[production.databases.default]
provider = "postgresql"
database_uri = "${DATABASE_URL}"
pool_size = "ten"

[qa]
debug = false
)";

TEST(DomainConfigTest, OverlayDeepMergesAndOverlayTablesDisappear) {
  DomainConfig config = ParseText(kOverlays, {}, "staging");
  EXPECT_EQ(config.env, "staging");
  EXPECT_TRUE(config.overlay_applied);
  EXPECT_TRUE(config.debug);  // base value kept
  EXPECT_EQ(config.event_processing, "async");
  EXPECT_EQ(config.databases.at("default").provider, "sqlite");
  EXPECT_EQ(config.databases.at("default").database_uri, "sqlite:///staging.db");
  for (std::string_view overlay : {"staging", "production", "qa", "test", "memory"}) {
    EXPECT_FALSE(config.table->contains(overlay)) << overlay;
  }
  EXPECT_EQ(config.overlays, (std::vector<std::string>{"production", "qa", "staging"}));
  EXPECT_TRUE(config.ignored_keys.empty());
}

TEST(DomainConfigTest, NoEnvironmentMeansBaseOnlyAndOtherOverlaysNeedNoVariables) {
  // production's ${DATABASE_URL} and pool_size "ten" are never looked at.
  DomainConfig config = ParseText(kOverlays);
  EXPECT_EQ(config.env, "");
  EXPECT_FALSE(config.overlay_applied);
  EXPECT_EQ(config.databases.at("default").provider, "memory");
  EXPECT_EQ(config.event_processing, "sync");
}

TEST(DomainConfigTest, CustomEnvironmentNamesWork) {
  DomainConfig config = ParseText(kOverlays, {}, "qa");
  EXPECT_TRUE(config.overlay_applied);
  EXPECT_FALSE(config.debug);
  EXPECT_FALSE(config.table->contains("qa"));
}

TEST(DomainConfigTest, EnvironmentWithoutTableUsesBase) {
  DomainConfig config = ParseText(kOverlays, {}, "development");
  EXPECT_EQ(config.env, "development");
  EXPECT_FALSE(config.overlay_applied);
  EXPECT_EQ(config.databases.at("default").provider, "memory");
}

TEST(DomainConfigTest, OverlayValueErrorsPointIntoTheOverlay) {
  ConfigurationError e = CaptureError([] {
    ParseText(kOverlays, {{"DATABASE_URL", "postgresql://h/db"}}, "production");
  });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_EQ(e.file, "domain.toml");
  EXPECT_EQ(e.key_path, "databases.default.pool_size");
  EXPECT_EQ(e.line, 17u);
  EXPECT_EQ(e.column, 13u);
  EXPECT_STREQ(e.what(),
               "domain.toml:17:13: databases.default.pool_size: expected an integer >= 1, got "
               "\"ten\" [CONFIG_INVALID_VALUE]");
}

TEST(DomainConfigTest, UnresolvedVariableInTheSelectedOverlay) {
  ConfigurationError e = CaptureError([] { ParseText(kOverlays, {}, "production"); });
  EXPECT_EQ(e.code, kConfigUnresolvedEnvVar);
  EXPECT_EQ(e.key_path, "databases.default.database_uri");
  EXPECT_EQ(e.line, 16u);
  EXPECT_NE(e.message.find("'DATABASE_URL'"), std::string::npos);
}

TEST(DomainConfigTest, EnvOptionOverridesProteanEnv) {
  LoadOptions options;
  options.env_lookup = FakeEnv({{"PROTEAN_ENV", "staging"}});
  EXPECT_EQ(ResolveEnvName(options), "staging");
  EXPECT_EQ(ParseDomainConfig(kOverlays, "d.toml", options).databases.at("default").provider,
            "sqlite");
  options.env = "qa";
  EXPECT_EQ(ResolveEnvName(options), "qa");
  DomainConfig config = ParseDomainConfig(kOverlays, "d.toml", options);
  EXPECT_EQ(config.env, "qa");
  EXPECT_EQ(config.databases.at("default").provider, "memory");
  options.env = "";  // an explicit empty --env: no overlay even with PROTEAN_ENV set
  EXPECT_EQ(ParseDomainConfig(kOverlays, "d.toml", options).env, "");
}

TEST(DomainConfigTest, UnknownTopLevelValuesAreDroppedAndRecorded) {
  DomainConfig config = ParseText("debug = true\ndebgu = false\nlist = [1]\n");
  EXPECT_FALSE(config.table->contains("debgu"));
  EXPECT_FALSE(config.table->contains("list"));
  ASSERT_EQ(config.ignored_keys.size(), 2u);
  EXPECT_EQ(config.ignored_keys[0].key, "debgu");
  EXPECT_EQ(config.ignored_keys[0].line, 2u);
  EXPECT_EQ(config.ignored_keys[1].key, "list");
}

TEST(DomainConfigTest, KnownTopLevelKeysAreKept) {
  DomainConfig config = ParseText(R"(
testing = true
env = "ci"
secret_key = "s"
identity_strategy = "uuid"
identity_type = "integer"
message_processing = "sync"
snapshot_threshold = 10
enable_outbox = true
[custom]
foo = "bar"
[lint]
level = "error"
[handlers.Audit]
stream = "orders"
[outbox]
messages_per_tick = 5
)");
  EXPECT_TRUE(config.testing);
  EXPECT_EQ(config.message_processing, "sync");
  EXPECT_EQ(config.table->at_path("custom.foo").value<std::string>(), "bar");
  EXPECT_EQ(config.table->at_path("handlers.Audit.stream").value<std::string>(), "orders");
  EXPECT_EQ(config.table->at_path("outbox.messages_per_tick").value<int64_t>(), 5);
  EXPECT_EQ(config.table->at_path("outbox.broker").value<std::string>(), "default");
  EXPECT_EQ((*config.table)["snapshot_threshold"].value<int64_t>(), 10);
  for (std::string_view key : KnownTopLevelKeys()) EXPECT_TRUE(IsKnownTopLevelKey(key));
}

TEST(DomainConfigTest, TopLevelValuesAreValidated) {
  ConfigurationError e = CaptureError([] { ParseText("\nevent_processing = \"fast\"\n"); });
  EXPECT_EQ(e.key_path, "event_processing");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.message, "expected one of \"sync\", \"async\", got \"fast\"");
  EXPECT_EQ(CaptureError([] { ParseText("debug = \"yes\"\n"); }).message,
            "expected a boolean, got \"yes\"");
  EXPECT_EQ(CaptureError([] { ParseText("identity_type = \"long\"\n"); }).key_path,
            "identity_type");
  EXPECT_EQ(CaptureError([] { ParseText("snapshot_threshold = 0\n"); }).message,
            "expected an integer >= 1, got 0");
  EXPECT_EQ(CaptureError([] { ParseText("[lint]\nlevel = \"loud\"\n"); }).key_path, "lint.level");
  EXPECT_EQ(CaptureError([] { ParseText("custom = 3\n"); }).message, "expected a table, got 3");
}

TEST(DomainConfigTest, EnvironmentNamingASectionIsAnError) {
  ConfigurationError e = CaptureError([] { ParseText("\n[server]\nworkers = 2\n", {}, "server"); });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_EQ(e.key_path, "server");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.message.find("names a configuration section"), std::string::npos);
}

TEST(DomainConfigTest, EnvironmentNamedLikeAScalarKeyUsesTheBase) {
  // PROTEAN_ENV=testing while `testing` is the boolean setting.
  DomainConfig config = ParseText("testing = true\n", {}, "testing");
  EXPECT_TRUE(config.testing);
  EXPECT_FALSE(config.overlay_applied);
}

TEST(DomainConfigTest, UriAndTtlSpellingsOverrideEachOther) {
  DomainConfig config = ParseText(R"(
[brokers.default]
provider = "redis"
URI = "redis://base:6379/0"
[caches.default]
provider = "redis"
uri = "redis://base:6379/2"
ttl = 60
[prod.brokers.default]
uri = "redis://prod:6379/0"
[prod.caches.default]
URI = "redis://prod:6379/2"
TTL = 30
)",
                                  {}, "prod");
  EXPECT_EQ(config.brokers.at("default").uri, "redis://prod:6379/0");
  EXPECT_EQ(config.caches.at("default").uri, "redis://prod:6379/2");
  EXPECT_EQ(config.caches.at("default").ttl, 30);
  EXPECT_FALSE(config.table->at_path("brokers.default").as_table()->contains("uri"));
  EXPECT_FALSE(config.table->at_path("caches.default").as_table()->contains("ttl"));
  EXPECT_EQ(
      ParseText("[caches.default]\nprovider = \"memory\"\nttl = 5\n").caches.at("default").ttl, 5);
}

TEST(DomainConfigTest, EnvironmentKeyThatIsNotATableIsAnError) {
  ConfigurationError e = CaptureError([] { ParseText("staging = 3\n", {}, "staging"); });
  EXPECT_EQ(e.key_path, "staging");
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.message, "the overlay for environment \"staging\" must be a table, got 3");
}

TEST(DomainConfigTest, ParseErrorHasLineAndColumn) {
  ConfigurationError e = CaptureError([] { ParseText("debug = true\n\n[databases.default\n"); });
  EXPECT_EQ(e.code, kConfigParseError);
  EXPECT_EQ(e.file, "domain.toml");
  EXPECT_EQ(e.line, 3u);
  EXPECT_GT(e.column, 0u);
  EXPECT_FALSE(e.message.empty());
  EXPECT_EQ(std::string(e.what()).rfind("domain.toml:3:", 0), 0u) << e.what();
}

TEST(DomainConfigTest, SubstitutionRunsAfterTheMergeOnBaseValuesToo) {
  DomainConfig config = ParseText(R"(
secret_key = "${SECRET|dev}"
[custom]
hosts = ["${H1|a}", "${H2}"]
)",
                                  {{"H2", "b"}});
  EXPECT_EQ((*config.table)["secret_key"].value<std::string>(), "dev");
  EXPECT_EQ(config.table->at_path("custom.hosts[1]").value<std::string>(), "b");
}

TEST(DomainConfigTest, DrainTimeoutMustBePositive) {
  EXPECT_EQ(ParseText("[server]\ndrain_timeout = 2.5\n").server.drain_timeout, Millis(2500));
  for (std::string_view bad : {"[server]\ndrain_timeout = 0\n", "[server]\ndrain_timeout = -1\n",
                               "[server]\ndrain_timeout = \"10\"\n"}) {
    ConfigurationError e = CaptureError([&] { ParseText(bad); });
    EXPECT_EQ(e.code, kConfigInvalidValue) << bad;
    EXPECT_EQ(e.key_path, "server.drain_timeout");
    EXPECT_EQ(e.line, 2u);
  }
}

TEST(DomainConfigTest, SectionReaderKeepsPositions) {
  // (This used [server.subscriptions.Audit] messages_per_tick = "x", which
  // now fails at load: subscription tables are validated there.)
  DomainConfig config = ParseText("\n[custom.Audit]\nmessages_per_tick = \"x\"\n");
  TableReader custom = SectionReader(config, "custom");
  ConfigurationError e = CaptureError([&] { custom.Table("Audit").Int("messages_per_tick", 1); });
  EXPECT_EQ(e.key_path, "custom.Audit.messages_per_tick");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(SectionReader(config, "absent").Int("x", 4), 4);
  // The resolved table has the same content.
  EXPECT_EQ(config.table->at_path("custom.Audit.messages_per_tick").value<std::string>(), "x");
}

TEST(DomainConfigTest, SubscriptionTablesAreValidatedAtLoad) {
  ConfigurationError e = CaptureError(
      [] { ParseText("\n[server.subscriptions.Audit]\nmessages_per_tick = \"x\"\n"); });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_EQ(e.key_path, "server.subscriptions.Audit.messages_per_tick");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 21u);
}

}  // namespace
}  // namespace protean::config
