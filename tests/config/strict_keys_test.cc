// Unknown keys are errors wherever the engine owns the table ([server] and
// every subscription table), with file:line:column; the keys Protean reads
// are accepted; Protean's top-level sections are sections, not overlays; and
// everything the server resolves before it starts fails at load.

#include <string>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/defaults.h"
#include "core/config/domain_config.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::CaptureError;
using testing::ParseText;

struct BadKey {
  std::string name;
  std::string toml;
  std::string key_path;
  std::string message;  // a substring of the message
  uint32_t line;
  uint32_t column;
};

class UnknownKeyTest : public ::testing::TestWithParam<BadKey> {};

TEST_P(UnknownKeyTest, IsAnErrorWithPosition) {
  const BadKey& b = GetParam();
  ConfigurationError e = CaptureError([&] { ParseText(b.toml); });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_EQ(e.file, "domain.toml");
  EXPECT_EQ(e.key_path, b.key_path);
  EXPECT_NE(e.message.find(b.message), std::string::npos) << e.message;
  EXPECT_EQ(e.line, b.line);
  EXPECT_EQ(e.column, b.column);
}

INSTANTIATE_TEST_SUITE_P(
    Tables, UnknownKeyTest,
    ::testing::Values(
        BadKey{"ServerTopLevel", "[server]\ndrain_timeot = 5\n", "server.drain_timeot",
               "unknown key 'drain_timeot'", 2, 16},
        BadKey{"ServerTopLevelTable", "[server.helth]\nport = 1\n", "server.helth",
               "unknown key 'helth'", 1, 1},
        BadKey{"StreamSubscription", "\n[server.stream_subscription]\nmax_retrys = 1\n",
               "server.stream_subscription.max_retrys", "unknown subscription setting 'max_retrys'",
               3, 14},
        BadKey{"EventStoreSubscription", "[server.event_store_subscription]\nposition_every = 1\n",
               "server.event_store_subscription.position_every", "unknown key 'position_every'", 2,
               18},
        BadKey{"Subscriptions", "[server.subscriptions.OrderHandler]\ncolour = \"red\"\n",
               "server.subscriptions.OrderHandler.colour", "unknown subscription setting 'colour'",
               2, 10},
        BadKey{"Profiles", "[server.profiles.bulk]\ninherits = \"BATCH\"\nbatch = 5\n",
               "server.profiles.bulk.batch", "unknown subscription setting 'batch'", 3, 9},
        BadKey{"HandlerSubscriptionConfig",
               "[handlers.A]\nstream = \"s\"\n[handlers.A.subscription_config]\nretries = 5\n",
               "handlers.A.subscription_config.retries", "unknown subscription setting 'retries'",
               4, 11},
        BadKey{"Handler", "[handlers.A]\nstream = \"s\"\ncolour = 1\n", "handlers.A.colour",
               "unknown key 'colour'", 3, 10},
        BadKey{"Health", "[server.health]\nprot = 8081\n", "server.health.prot",
               "unknown key 'prot'", 2, 8},
        BadKey{"Dlq", "[server.dlq]\nretention = 5\n", "server.dlq.retention",
               "unknown key 'retention'", 2, 13}),
    [](const ::testing::TestParamInfo<BadKey>& param) { return param.param.name; });

// [server.priority_lanes]: Protean's checks (domain/validation.py:370-419)
// and this engine's stricter ones (core/config/sections.cc ReadPriorityLanes).
INSTANTIATE_TEST_SUITE_P(
    PriorityLanes, UnknownKeyTest,
    ::testing::Values(
        BadKey{"NotATable", "[server]\npriority_lanes = true\n", "server.priority_lanes",
               "expected a table", 2, 18},
        BadKey{"EnabledNotABool", "[server.priority_lanes]\nenabled = \"yes\"\n",
               "server.priority_lanes.enabled", "expected a boolean", 2, 11},
        BadKey{"ThresholdABool", "[server.priority_lanes]\nthreshold = true\n",
               "server.priority_lanes.threshold", "expected a number", 2, 13},
        BadKey{"SuffixNotAString", "[server.priority_lanes]\nbackfill_suffix = 1\n",
               "server.priority_lanes.backfill_suffix", "expected a string", 2, 19},
        BadKey{"SuffixBlank", "[server.priority_lanes]\nbackfill_suffix = \"  \"\n",
               "server.priority_lanes.backfill_suffix", "must be a non-empty string", 2, 19},
        BadKey{"SuffixWithColon", "[server.priority_lanes]\nbackfill_suffix = \"a:b\"\n",
               "server.priority_lanes.backfill_suffix", "must not contain ':'", 2, 19},
        BadKey{"SuffixDlq", "[server.priority_lanes]\nbackfill_suffix = \"dlq\"\n",
               "server.priority_lanes.backfill_suffix", "primary stream's DLQ", 2, 19},
        BadKey{"UnknownKey", "[server.priority_lanes]\nenabled = true\nthreshhold = 1\n",
               "server.priority_lanes.threshhold", "unknown key 'threshhold'", 3, 14}),
    [](const ::testing::TestParamInfo<BadKey>& param) { return param.param.name; });

TEST(UnknownKeyTest, OverlayErrorsNeedTheOverlay) {
  // The [production] overlay is only read with PROTEAN_ENV=production.
  EXPECT_NO_THROW(ParseText("[production.server]\ndrain_timeot = 5\n"));
  ConfigurationError e =
      CaptureError([] { ParseText("[production.server]\ndrain_timeot = 5\n", {}, "production"); });
  EXPECT_EQ(e.line, 2u);
}

TEST(ProteanKeysTest, ProteanTopLevelKeysAreKnownAndNotOverlays) {
  DomainConfig config = ParseText(R"(command_default_timeout = 30
lenient_deserialization = true
source_uri = "https://example.com/orders"
[logging]
level = "INFO"
[idempotency]
redis_url = "redis://localhost:6379/5"
[consume_idempotency.cleanup]
batch_size = 10
[email_providers.default]
provider = "protean.adapters.DummyEmailProvider"
[observatory]
trace_retention_days = 3
)");
  EXPECT_TRUE(config.ignored_keys.empty());
  EXPECT_TRUE(config.overlays.empty());
  for (std::string_view key :
       {"command_default_timeout", "lenient_deserialization", "source_uri", "logging",
        "idempotency", "consume_idempotency", "email_providers", "observatory"}) {
    EXPECT_TRUE(config.table->contains(key)) << key;
    EXPECT_TRUE(IsKnownTopLevelKey(key)) << key;
  }
  // So PROTEAN_ENV=logging names a section, not an overlay.
  ConfigurationError e =
      CaptureError([] { ParseText("[logging]\nlevel = \"INFO\"\n", {}, "logging"); });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_EQ(e.key_path, "logging");
  EXPECT_EQ(e.line, 1u);
  EXPECT_NE(e.message.find("names a configuration section"), std::string::npos);
}

TEST(ProteanKeysTest, ProteanTopLevelValuesAreTypeChecked) {
  ConfigurationError e = CaptureError([] { ParseText("\nlenient_deserialization = \"yes\"\n"); });
  EXPECT_EQ(e.key_path, "lenient_deserialization");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 27u);
  ConfigurationError t = CaptureError([] { ParseText("logging = 5\n"); });
  EXPECT_EQ(t.key_path, "logging");
  EXPECT_EQ(t.message, "expected a table, got 5");
}

TEST(ProteanKeysTest, ServerKeysProteanReadsAreAccepted) {
  DomainConfig config = ParseText(R"(
[server.event_store_subscription]
position_update_interval = 5
max_retries = 3
retry_delay_seconds = 1
enable_recovery = true
recovery_interval_seconds = 30
gap_timeout_seconds = 5
[server.subscriptions.OrderHandler]
profile = "production"
stream_category = "order"
[server.broker_subscription]
max_retries = 2
[server.version_retry]
enabled = true
[server.transient_retry]
enabled = false
[server.priority_lanes]
enabled = true
[server.partitioning]
lease_ttl_ms = 15000
[handlers.OrderHandler]
stream = "order"
)");
  ASSERT_EQ(config.handlers.size(), 1u);
  EXPECT_EQ(config.handlers[0].name, "OrderHandler");
  ConfigurationError e = CaptureError([] { ParseText("[server]\npriority_lanes = 1\n"); });
  EXPECT_EQ(e.key_path, "server.priority_lanes");
  EXPECT_EQ(e.message, "expected a table, got 1");
}

TEST(ProteanKeysTest, ProfileNamesIgnoreCaseAsInProtean) {
  DomainConfig config = ParseText(R"(
[server]
default_subscription_profile = "fast"
[server.profiles.Bulk]
inherits = "batch"
[handlers.A]
stream = "a"
subscription_profile = "bulk"
[handlers.B]
stream = "b"
subscription_profile = "Projection"
)");
  EXPECT_EQ(config.handlers.size(), 2u);
  ConfigurationError reserved = CaptureError([] { ParseText("[server.profiles.production]\n"); });
  EXPECT_NE(reserved.message.find("reserved"), std::string::npos);
  ConfigurationError twice =
      CaptureError([] { ParseText("[server.profiles.x]\n[server.profiles.X]\n"); });
  EXPECT_NE(twice.message.find("defined twice"), std::string::npos);
  EXPECT_GT(twice.line, 0u);
}

TEST(StartChecksAtLoadTest, HandlerAndSubscriptionErrorsFailTheLoad) {
  struct Case {
    std::string toml;
    std::string key_path;
    std::string message;
    uint32_t line;
    uint32_t column;
  };
  for (const Case& c : {
           Case{"[handlers.A]\nstream = \"s\"\nsubscription_profile = \"TURBO\"\n",
                "handlers.A.subscription_profile", "unknown profile 'TURBO'", 3, 24},
           Case{"[handlers.A]\nstream = \"s\"\nsubscription_profile = \"PROJECTION\"\n"
                "[handlers.A.subscription_config]\nenable_dlq = true\n",
                "handlers.A.subscription_config.enable_dlq",
                "is not allowed on an event_store subscription", 5, 14},
           Case{"[server.subscriptions.A]\nprofile = \"NOPE\"\n", "server.subscriptions.A.profile",
                "unknown profile 'NOPE'", 2, 11},
           Case{"[brokers.default]\nprovider = \"redis_pubsub\"\nURI = \"redis://h:6379/0\"\n"
                "\n[handlers.A]\nstream = \"s\"\n",
                "handlers.A", "which has no DLQ", 5, 1},
           Case{"[handlers.A]\nstream = \"s\"\nfqn = \"app..A\"\n", "handlers.A.fqn",
                "expected a dotted identifier", 3, 7},
           Case{"[handlers.A]\nstream = \"s\"\nfqn = \"\"\n", "handlers.A.fqn",
                "expected a dotted identifier", 3, 7},
           Case{"[handlers.A]\nstream = \"s\"\nfqn = 3\n", "handlers.A.fqn", "expected a string", 3,
                7},
           Case{"[handlers.A]\nstream = \"s\"\n[handlers.B]\nstream = \"s\"\nfqn = \"A\"\n",
                "handlers.B", "both read", 3, 1},
           Case{"[handlers.A]\nstream = \"\"\n", "handlers.A.stream", "expected a non-empty string",
                2, 10},
       }) {
    ConfigurationError e = CaptureError([&] { ParseText(c.toml); });
    EXPECT_EQ(e.code, kConfigInvalidValue) << c.toml;
    EXPECT_EQ(e.key_path, c.key_path) << c.toml;
    EXPECT_NE(e.message.find(c.message), std::string::npos) << e.message;
    EXPECT_EQ(e.line, c.line) << c.toml;
    EXPECT_EQ(e.column, c.column) << c.toml;
  }
  // A pub/sub broker is fine for an event_store handler, and for a stream
  // handler without the DLQ; one fqn on two streams is two groups.
  EXPECT_NO_THROW(
      ParseText("[brokers.default]\nprovider = \"redis_pubsub\"\nURI = \"redis://h:6379/0\"\n"
                "[handlers.P]\nstream = \"s\"\nsubscription_profile = \"PROJECTION\"\n"));
  EXPECT_NO_THROW(
      ParseText("[brokers.default]\nprovider = \"redis_pubsub\"\nURI = \"redis://h:6379/0\"\n"
                "[handlers.A]\nstream = \"s\"\nfqn = \"app.handlers.A\"\n"
                "[handlers.A.subscription_config]\nenable_dlq = false\n"));
  EXPECT_NO_THROW(
      ParseText("[handlers.A]\nstream = \"s\"\nfqn = \"app.H\"\n"
                "[handlers.B]\nstream = \"t\"\nfqn = \"app.H\"\n"));
}

TEST(StartChecksAtLoadTest, AlertCallbackSyntaxIsCheckedAtLoad) {
  for (const char* bad : {"myapp..on_dlq", "command:relative/path", "webhook:https://h/x",
                          "webhook:http://", "on dlq", "command:"}) {
    ConfigurationError e = CaptureError(
        [&] { ParseText(std::string("[server.dlq]\nalert_callback = \"") + bad + "\"\n"); });
    EXPECT_EQ(e.code, kConfigInvalidValue) << bad;
    EXPECT_EQ(e.key_path, "server.dlq.alert_callback") << bad;
    EXPECT_EQ(e.line, 2u) << bad;
    EXPECT_EQ(e.column, 18u) << bad;
  }
  for (const char* good : {"myapp.alerts.on_dlq", "pager", "command:/bin/true --quiet",
                           "webhook:http://h:9000/dlq", "webhook:http://h"}) {
    DomainConfig config =
        ParseText(std::string("[server.dlq]\nalert_callback = \"") + good + "\"\n");
    EXPECT_EQ(config.server.dlq.alert_callback, good);
    EXPECT_EQ(config.server.dlq.alert_callback_origin.line, 2);
  }
}

}  // namespace
}  // namespace protean::config
