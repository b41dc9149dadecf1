// Subscription configuration: Protean's profiles, the resolution order and
// the validation rules (core/config/subscription_config.h).
#include <string>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/configuration_error.h"
#include "core/config/subscription_resolver.h"

namespace protean {
namespace {

struct Parsed {
  toml::table doc;
  const toml::table* server() const {
    const toml::node* n = doc.get("server");
    return n ? n->as_table() : nullptr;
  }
};

Parsed Parse(std::string_view text) {
  return Parsed{toml::parse(text, std::string_view("domain.toml"))};
}

SubscriptionConfig Resolve(std::string_view text, SubscriptionRequest req) {
  Parsed p = Parse(text);
  SubscriptionResolver resolver(p.server(), "domain.toml");
  return resolver.Resolve(req);
}

SubscriptionRequest Handler(std::string name, std::optional<std::string> profile = std::nullopt,
                            std::map<std::string, ConfigValue> explicit_config = {}) {
  SubscriptionRequest r;
  r.handler = name;
  if (profile)
    r.profile =
        ConfigEntry{"profile", *profile, ConfigOrigin{"handler " + name, "subscription_profile"}};
  r.explicit_config = MakeLayer("handler " + name, "subscription_config", explicit_config);
  return r;
}

config::ConfigurationError ErrorOf(std::string_view text, SubscriptionRequest req) {
  try {
    Resolve(text, req);
  } catch (const config::ConfigurationError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ConfigurationError";
  return config::ConfigurationError("NONE", {}, "");
}

TEST(SubscriptionConfigTest, HardDefaultsAreProteans) {
  SubscriptionConfig c = Resolve("", Handler("H"));
  EXPECT_EQ(c.type, SubscriptionType::kStream);
  EXPECT_EQ(c.messages_per_tick, 10);
  EXPECT_EQ(c.tick_interval_seconds, 0);
  EXPECT_EQ(c.blocking_timeout_ms, 5000);
  EXPECT_EQ(c.max_retries, 3);
  EXPECT_EQ(c.retry_delay_seconds, 1);
  EXPECT_TRUE(c.enable_dlq);
  EXPECT_EQ(c.position_update_interval, 10);
  EXPECT_EQ(c.circuit_breaker_threshold, 10);
  EXPECT_EQ(c.circuit_breaker_reset_seconds, 60);
  EXPECT_FALSE(c.retention_maxlen.has_value());
}

struct ProfileRow {
  const char* name;
  SubscriptionType type;
  int64_t mpt;
  double tick;
  int64_t block;
  int64_t retries;
  double delay;
  bool dlq;
  int64_t pos;
  std::optional<int64_t> maxlen;
};

class ProfileTest : public ::testing::TestWithParam<ProfileRow> {};

TEST_P(ProfileTest, CarriesProteansValues) {
  const ProfileRow& row = GetParam();
  SubscriptionConfig c = Resolve("", Handler("H", row.name));
  EXPECT_EQ(c.type, row.type);
  EXPECT_EQ(c.messages_per_tick, row.mpt);
  EXPECT_EQ(c.tick_interval_seconds, row.tick);
  EXPECT_EQ(c.blocking_timeout_ms, row.block);
  EXPECT_EQ(c.max_retries, row.retries);
  EXPECT_EQ(c.retry_delay_seconds, row.delay);
  EXPECT_EQ(c.enable_dlq, row.dlq);
  EXPECT_EQ(c.position_update_interval, row.pos);
  EXPECT_EQ(c.retention_maxlen, row.maxlen);
  EXPECT_EQ(c.circuit_breaker_threshold, 10);
  EXPECT_EQ(c.circuit_breaker_reset_seconds, 60);
  EXPECT_EQ(c.profile, row.name);
}

INSTANTIATE_TEST_SUITE_P(
    AllProfiles, ProfileTest,
    ::testing::Values(
        ProfileRow{"PRODUCTION", SubscriptionType::kStream, 100, 0, 5000, 3, 1, true, 10, 100000},
        ProfileRow{"FAST", SubscriptionType::kStream, 10, 0, 100, 2, 0, true, 5, 100000},
        ProfileRow{"BATCH", SubscriptionType::kStream, 500, 0, 10000, 5, 2, true, 50, 500000},
        ProfileRow{"DEBUG", SubscriptionType::kStream, 1, 1, 1000, 1, 0, false, 1, 1000},
        ProfileRow{"PROJECTION", SubscriptionType::kEventStore, 100, 0, 5000, 3, 1, false, 10,
                   std::nullopt}),
    [](const auto& row) { return std::string(row.param.name); });

TEST(SubscriptionConfigTest, ResolutionOrderLowestToHighest) {
  const char* toml = R"(
[server]
default_subscription_profile = "BATCH"
messages_per_tick = 7
[server.stream_subscription]
max_retries = 4
retry_delay_seconds = 0.5
[server.subscriptions.H]
retry_delay_seconds = 0.25
)";
  // No profile named above level 2: BATCH applies, then server keys override it.
  SubscriptionConfig c = Resolve(toml, Handler("Other"));
  EXPECT_EQ(c.profile, "BATCH");
  EXPECT_EQ(c.messages_per_tick, 7);        // level 3 over level 2
  EXPECT_EQ(c.blocking_timeout_ms, 10000);  // from BATCH
  EXPECT_EQ(c.max_retries, 4);
  EXPECT_EQ(c.retry_delay_seconds, 0.5);
  // [server.subscriptions.H] (level 4) beats server settings.
  EXPECT_EQ(Resolve(toml, Handler("H")).retry_delay_seconds, 0.25);
  // A handler profile (level 5) suppresses the default profile and beats level 4.
  SubscriptionConfig fast = Resolve(toml, Handler("H", "FAST"));
  EXPECT_EQ(fast.profile, "FAST");
  EXPECT_EQ(fast.blocking_timeout_ms, 100);
  EXPECT_EQ(fast.retry_delay_seconds, 0);  // FAST's value over level 4
  EXPECT_EQ(fast.max_retries, 2);
  // Explicit handler config (level 6) beats everything.
  SubscriptionConfig top = Resolve(toml, Handler("H", "FAST", {{"max_retries", int64_t{9}}}));
  EXPECT_EQ(top.max_retries, 9);
}

TEST(SubscriptionConfigTest, DefaultProfileIsNotShadowedByStockServerValues) {
  // Protean always merges messages_per_tick=100 etc. into [server], shadowing
  // the default profile; we merge only what the file says.
  SubscriptionConfig c =
      Resolve("[server]\ndefault_subscription_profile = \"DEBUG\"\n", Handler("H"));
  EXPECT_EQ(c.messages_per_tick, 1);
  EXPECT_EQ(c.tick_interval_seconds, 1);
  EXPECT_FALSE(c.enable_dlq);
}

TEST(SubscriptionConfigTest, PerHandlerTableProfileAppliesBeforeItsKeys) {
  const char* toml = R"(
[server.subscriptions.H]
profile = "FAST"
messages_per_tick = 3
)";
  SubscriptionConfig c = Resolve(toml, Handler("H"));
  EXPECT_EQ(c.profile, "FAST");
  EXPECT_EQ(c.messages_per_tick, 3);
  EXPECT_EQ(c.blocking_timeout_ms, 100);
}

TEST(SubscriptionConfigTest, CustomProfileInheritsABuiltIn) {
  const char* toml = R"(
[server.profiles.bulk]
inherits = "BATCH"
messages_per_tick = 1000
)";
  SubscriptionConfig c = Resolve(toml, Handler("H", "bulk"));
  EXPECT_EQ(c.profile, "bulk");
  EXPECT_EQ(c.messages_per_tick, 1000);
  EXPECT_EQ(c.max_retries, 5);  // inherited from BATCH
  EXPECT_EQ(c.retention_maxlen, 500000);
}

TEST(SubscriptionConfigTest, CustomProfileErrors) {
  auto e1 = ErrorOf("[server.profiles.PRODUCTION]\nmax_retries = 1\n", Handler("H"));
  EXPECT_EQ(e1.code, "CONFIG_INVALID_VALUE");
  EXPECT_EQ(e1.key_path, "server.profiles.PRODUCTION");
  EXPECT_NE(e1.message.find("reserved"), std::string::npos);
  auto e2 = ErrorOf("[server.profiles.x]\ninherits = \"nope\"\n", Handler("H"));
  EXPECT_EQ(e2.key_path, "server.profiles.x.inherits");
  EXPECT_EQ(e2.line, 2u);
  auto e3 = ErrorOf("[server.profiles.x]\nmax_retrys = 1\n", Handler("H"));
  EXPECT_NE(e3.message.find("max_retrys"), std::string::npos);
  auto e4 = ErrorOf("", Handler("H", "NOPE"));
  EXPECT_NE(e4.message.find("unknown profile 'NOPE'"), std::string::npos);
  EXPECT_NE(e4.message.find("PRODUCTION"), std::string::npos);
}

TEST(SubscriptionConfigTest, InvalidValuesNameFileKeyAndLine) {
  auto e = ErrorOf("[server.subscriptions.H]\n\nmessages_per_tick = 0\n", Handler("H"));
  EXPECT_EQ(e.code, "CONFIG_INVALID_VALUE");
  EXPECT_EQ(e.file, "domain.toml");
  EXPECT_EQ(e.key_path, "server.subscriptions.H.messages_per_tick");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 21u);
  auto t = ErrorOf("[server.subscriptions.H]\nmax_retries = \"three\"\n", Handler("H"));
  EXPECT_NE(t.message.find("expected an integer"), std::string::npos);
}

struct BadValue {
  const char* key;
  ConfigValue value;
};

class ValidationTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(ValidationTest, RejectsOutOfRange) {
  const BadValue& b = GetParam();
  auto e = ErrorOf("", Handler("H", std::nullopt, {{b.key, b.value}}));
  EXPECT_EQ(e.code, "CONFIG_INVALID_VALUE");
  EXPECT_EQ(e.key_path, std::string("subscription_config.") + b.key);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidationTest,
    ::testing::Values(
        BadValue{"messages_per_tick", int64_t{0}}, BadValue{"position_update_interval", int64_t{0}},
        BadValue{"tick_interval", -1.0}, BadValue{"blocking_timeout_ms", int64_t{-1}},
        BadValue{"max_retries", int64_t{-1}}, BadValue{"retry_delay_seconds", -0.5},
        BadValue{"dlq_retention_hours", 0.0}, BadValue{"dlq_alert_threshold", int64_t{0}},
        BadValue{"retention_maxlen", int64_t{0}}, BadValue{"circuit_breaker_threshold", int64_t{0}},
        BadValue{"circuit_breaker_reset_seconds", 0.0},
        BadValue{"retry_backoff", std::string("quadratic")}, BadValue{"retry_jitter", 1.5},
        BadValue{"handler_timeout_seconds", 0.0},
        BadValue{"subscription_type", std::string("queue")}, BadValue{"no_such_key", int64_t{1}}),
    [](const auto& row) { return std::string(row.param.key); });

// The circuit breaker and retention keys, wherever Protean reads them
// (stream_subscription.py:119-128, profiles.py:505-517): a bad value names
// the file, the key path and line:column, with Protean's rule in the message.
TEST(SubscriptionConfigTest, BreakerAndRetentionErrorsNameFileKeyAndLine) {
  struct Case {
    const char* toml;
    const char* key_path;
    uint32_t line, column;
    const char* says;
  };
  const Case cases[] = {
      {"[server.stream_subscription]\ncircuit_breaker_threshold = 0\n",
       "server.stream_subscription.circuit_breaker_threshold", 2, 29, ">= 1"},
      {"[server.stream_subscription]\ncircuit_breaker_reset_seconds = 0\n",
       "server.stream_subscription.circuit_breaker_reset_seconds", 2, 33, "> 0"},
      {"[server.stream_subscription]\ncircuit_breaker_reset_seconds = inf\n",
       "server.stream_subscription.circuit_breaker_reset_seconds", 2, 33, "> 0"},
      {"[server.subscriptions.H]\ncircuit_breaker_threshold = \"ten\"\n",
       "server.subscriptions.H.circuit_breaker_threshold", 2, 29, "integer"},
      {"[server.subscriptions.H]\nprofile = \"mine\"\n[server.profiles.mine]\ninherits = "
       "\"fast\"\nretention_maxlen = -5\n",
       "server.profiles.mine.retention_maxlen", 5, 20, ">= 1"},
      {"[server.stream_subscription]\nretention_maxlen = 0\n",
       "server.stream_subscription.retention_maxlen", 2, 20, ">= 1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.toml);
    const config::ConfigurationError e = ErrorOf(c.toml, Handler("H"));
    EXPECT_EQ(e.code, "CONFIG_INVALID_VALUE");
    EXPECT_EQ(e.file, "domain.toml");
    EXPECT_EQ(e.key_path, c.key_path);
    EXPECT_EQ(e.line, c.line);
    EXPECT_EQ(e.column, c.column);
    EXPECT_NE(e.message.find(c.says), std::string::npos) << e.message;
  }
}

TEST(SubscriptionConfigTest, BreakerKeysResolveAtEveryLevel) {
  SubscriptionConfig c = Resolve(
      "[server.stream_subscription]\ncircuit_breaker_threshold = 4\n"
      "circuit_breaker_reset_seconds = 2.5\nretention_maxlen = 7\n",
      Handler("H"));
  EXPECT_EQ(c.circuit_breaker_threshold, 4);
  EXPECT_EQ(c.circuit_breaker_reset_seconds, 2.5);
  EXPECT_EQ(c.retention_maxlen, 7);
  c = Resolve(
      "[server.stream_subscription]\ncircuit_breaker_threshold = 4\n"
      "[server.subscriptions.H]\ncircuit_breaker_threshold = 6\n",
      Handler("H", std::nullopt, {{"circuit_breaker_reset_seconds", 9.0}}));
  EXPECT_EQ(c.circuit_breaker_threshold, 6);
  EXPECT_EQ(c.circuit_breaker_reset_seconds, 9.0);
  c = Resolve("[server.profiles.mine]\ninherits = \"fast\"\ncircuit_breaker_threshold = 2\n",
              Handler("H", "mine"));
  EXPECT_EQ(c.circuit_breaker_threshold, 2);
  EXPECT_EQ(c.retention_maxlen, 100000);  // FAST's, inherited
}

TEST(SubscriptionConfigTest, EventStoreDropsInheritedDlqAndRejectsExplicitOne) {
  // Inherited enable_dlq (a stream default) is dropped silently.
  SubscriptionConfig c =
      Resolve("[server.stream_subscription]\nenable_dlq = true\nretention_maxlen = 10\n",
              Handler("H", std::nullopt, {{"subscription_type", std::string("event_store")}}));
  EXPECT_EQ(c.type, SubscriptionType::kEventStore);
  EXPECT_FALSE(c.enable_dlq);
  EXPECT_FALSE(c.retention_maxlen.has_value());
  // Set explicitly for this handler: an error.
  auto e = ErrorOf("", Handler("H", "PROJECTION", {{"enable_dlq", true}}));
  EXPECT_NE(e.message.find("not allowed on an event_store"), std::string::npos);
  auto r = ErrorOf(
      "[server.subscriptions.H]\nsubscription_type = \"event_store\"\nretention_maxlen = 5\n",
      Handler("H"));
  EXPECT_EQ(r.key_path, "server.subscriptions.H.retention_maxlen");
}

// [server.event_store_subscription]'s max_retries and retry_delay_seconds
// are the recovery pass's (event_store_subscription.py:181-190): they leave
// the subscription's attempts in place alone.
TEST(SubscriptionConfigTest, RecoveryKeysComeFromEventStoreSubscription) {
  const char* toml =
      "[server.event_store_subscription]\nmax_retries = 5\nretry_delay_seconds = 0.25\n"
      "enable_recovery = false\nrecovery_interval_seconds = 2.5\n";
  SubscriptionConfig c = Resolve(toml, Handler("H", "PROJECTION"));
  EXPECT_EQ(c.recovery_max_retries, 5);
  EXPECT_EQ(c.recovery_retry_delay_seconds, 0.25);
  EXPECT_FALSE(c.enable_recovery);
  EXPECT_EQ(c.recovery_interval_seconds, 2.5);
  EXPECT_EQ(c.max_retries, 3) << "PROJECTION's attempts in place, untouched";
  EXPECT_EQ(c.retry_delay_seconds, 1);
  // Protean's defaults.
  SubscriptionConfig d = Resolve("", Handler("H", "PROJECTION"));
  EXPECT_TRUE(d.enable_recovery);
  EXPECT_EQ(d.recovery_interval_seconds, 30);
  EXPECT_EQ(d.recovery_max_retries, 3);
  EXPECT_EQ(d.recovery_retry_delay_seconds, 1);
  // A per-subscription override.
  SubscriptionConfig o =
      Resolve(toml, Handler("H", "PROJECTION", {{"recovery_max_retries", int64_t{1}}}));
  EXPECT_EQ(o.recovery_max_retries, 1);
}

TEST(SubscriptionConfigTest, RecoveryKeyErrorsNameFileKeyAndLine) {
  struct Bad {
    const char* toml;
    const char* key;
    const char* message;
  };
  for (const Bad& b : {
           Bad{"[server.event_store_subscription]\nrecovery_interval_seconds = 0\n",
               "server.event_store_subscription.recovery_interval_seconds",
               "expected a number > 0"},
           Bad{"[server.event_store_subscription]\nrecovery_interval_seconds = nan\n",
               "server.event_store_subscription.recovery_interval_seconds",
               "expected a number > 0"},
           Bad{"[server.event_store_subscription]\nmax_retries = -1\n",
               "server.event_store_subscription.max_retries", "expected an integer >= 0"},
           Bad{"[server.event_store_subscription]\nretry_delay_seconds = -1\n",
               "server.event_store_subscription.retry_delay_seconds", ">= 0"},
           Bad{"[server.event_store_subscription]\nenable_recovery = 1\n",
               "server.event_store_subscription.enable_recovery", "expected a boolean"},
       }) {
    auto e = ErrorOf(b.toml, Handler("H", "PROJECTION"));
    EXPECT_EQ(e.key_path, b.key) << b.toml;
    EXPECT_EQ(e.file, "domain.toml") << b.toml;
    EXPECT_EQ(e.line, 2u) << b.toml;
    EXPECT_NE(e.message.find(b.message), std::string::npos) << e.message;
  }
  // On a stream handler the recovery pass would do nothing: an error.
  auto stream = ErrorOf("", Handler("H", std::nullopt, {{"enable_recovery", false}}));
  EXPECT_NE(stream.message.find("event_store subscriptions only"), std::string::npos);
}

TEST(SubscriptionConfigTest, ConsumerGroupRules) {
  SubscriptionConfig c = Resolve(
      "", Handler("H", "PROJECTION",
                  {{"consumer_group_member", int64_t{1}}, {"consumer_group_size", int64_t{3}}}));
  EXPECT_EQ(*c.consumer_group_member, 1);
  EXPECT_EQ(*c.consumer_group_size, 3);
  EXPECT_NO_FATAL_FAILURE(
      ErrorOf("", Handler("H", "PROJECTION", {{"consumer_group_size", int64_t{3}}})));
  auto range = ErrorOf(
      "", Handler("H", "PROJECTION",
                  {{"consumer_group_member", int64_t{3}}, {"consumer_group_size", int64_t{3}}}));
  EXPECT_EQ(range.key_path, "subscription_config.consumer_group_member");
  auto stream = ErrorOf(
      "", Handler("H", std::nullopt,
                  {{"consumer_group_member", int64_t{0}}, {"consumer_group_size", int64_t{2}}}));
  EXPECT_NE(stream.message.find("event_store subscriptions only"), std::string::npos);
}

TEST(SubscriptionConfigTest, ClaimIdleMayBeShorterThanRetryDelays) {
  // Live consumers touch the entries they hold (retries included), so a
  // short claim bound never steals a retry from a live consumer.
  SubscriptionConfig c = Resolve(
      "", Handler("H", std::nullopt, {{"retry_delay_seconds", 30.0}, {"claim_idle_seconds", 5.0}}));
  EXPECT_EQ(c.claim_idle_seconds, 5.0);
  EXPECT_EQ(c.retry_delay_seconds, 30.0);
}

}  // namespace
}  // namespace protean
