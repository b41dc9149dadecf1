// Ranges of the duration and count keys (core/config/bounds.h): the shared
// helpers, TableReader's readers and every domain.toml key that has one,
// each error named with file, key and line:column.

#include <string>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/bounds.h"
#include "core/config/domain_config.h"
#include "core/config/table_reader.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::CaptureError;
using testing::ParseText;
using testing::ParseToml;

TEST(BoundsTest, DurationProblems) {
  const DurationBounds positive{0, 10};
  EXPECT_EQ(DurationProblem(5, positive), std::nullopt);
  EXPECT_EQ(DurationProblem(10, positive), std::nullopt);
  EXPECT_EQ(DurationProblem(1e-300, positive), std::nullopt);  // any value > 0
  EXPECT_EQ(DurationProblem(0, positive), "expected a number > 0");
  EXPECT_EQ(DurationProblem(-1, positive), "expected a number > 0");
  EXPECT_EQ(DurationProblem(std::numeric_limits<double>::infinity(), positive),
            "expected a number > 0");
  EXPECT_EQ(DurationProblem(std::nan(""), positive), "expected a number > 0");
  EXPECT_EQ(DurationProblem(10.5, positive), "expected at most 10");
  const DurationBounds floor{0.1, 60, false, "why"};
  EXPECT_EQ(DurationProblem(1e-9, floor), "expected at least 0.1 (why)");
  EXPECT_EQ(DurationProblem(0.1, floor), std::nullopt);
  const DurationBounds zero_ok{0, 60, true};
  EXPECT_EQ(DurationProblem(0, zero_ok), std::nullopt);
  EXPECT_EQ(DurationProblem(-0.5, zero_ok), "expected a number >= 0");
  const DurationBounds zero_or_floor{0.001, 60, true};
  EXPECT_EQ(DurationProblem(0, zero_or_floor), std::nullopt);
  EXPECT_EQ(DurationProblem(1e-6, zero_or_floor), "expected 0 or at least 0.001");
  EXPECT_EQ(DurationProblem(-1, zero_or_floor), "expected 0 or a number >= 0.001");
}

TEST(BoundsTest, CountProblems) {
  const CountBounds bounds{1, 256};
  EXPECT_EQ(CountProblem(1, bounds), std::nullopt);
  EXPECT_EQ(CountProblem(256, bounds), std::nullopt);
  EXPECT_EQ(CountProblem(0, bounds), "expected an integer >= 1");
  EXPECT_EQ(CountProblem(257, bounds), "expected an integer <= 256");
  EXPECT_EQ(CountProblem(std::numeric_limits<int64_t>::min(), bounds), "expected an integer >= 1");
}

TEST(BoundsTest, LimitsKeepMicrosecondsAndProductsInInt64) {
  // A clock reading (< 1e16 us until 2286) plus twice the longest duration.
  EXPECT_LT(1e16 + 2 * kDurationSecondsMax * 1e6, 9.2e18);
  EXPECT_LT(static_cast<double>(kDurationMillisMax) * 1e3, 9.2e18);
  EXPECT_LT(static_cast<double>(kCountMax) * static_cast<double>(kCountMax), 9.2e18);
}

TEST(TableReaderBoundsTest, ReadDurationAndCount) {
  toml::table t = ParseToml(
      "a = 2\nb = 0.5\ninf_value = inf\ntiny = 1e-9\nhuge = 1e300\ns = \"5\"\n"
      "n = 0\nbig = 9223372036854775807\nf = 1.5\n");
  TableReader r(t, "f.toml", "x");
  EXPECT_EQ(r.ReadDuration("a", 1, {}), 2);
  EXPECT_EQ(r.ReadDuration("b", 1, {}), 0.5);
  EXPECT_EQ(r.ReadDuration("absent", 7, {}), 7);
  EXPECT_EQ(r.ReadOptionalDuration("absent2", {}), std::nullopt);
  struct Case {
    const char* key;
    DurationBounds bounds;
    const char* message;
    uint32_t line;
    uint32_t column;
  };
  for (const Case& c : {
           Case{"inf_value", {}, "expected a number > 0, got inf", 3, 13},
           Case{"tiny",
                {0.1, 10, false, "too fast"},
                "expected at least 0.1 (too fast), got 1e-09",
                4,
                8},
           Case{"huge", {}, "expected at most 1e+09, got 1e+300", 5, 8},
           Case{"s",
                {},
                "expected a number > 0, got \"5\" (a quoted or substituted value is a string; "
                "write the number unquoted)",
                6,
                5},
       }) {
    ConfigurationError e = CaptureError([&] { r.ReadDuration(c.key, 1, c.bounds); });
    EXPECT_EQ(e.code, kConfigInvalidValue) << c.key;
    EXPECT_EQ(e.message, c.message) << c.key;
    EXPECT_EQ(e.key_path, std::string("x.") + c.key);
    EXPECT_EQ(e.file, "test.toml");  // the node's own source wins over the reader's
    EXPECT_EQ(e.line, c.line) << c.key;
    EXPECT_EQ(e.column, c.column) << c.key;
  }
  EXPECT_EQ(r.ReadCount("a", 1, {1, 5}), 2);
  EXPECT_EQ(CaptureError([&] {
              r.ReadCount("n", 1, {1, 5});
            }).message,
            "expected an integer >= 1, got 0");
  EXPECT_EQ(CaptureError([&] {
              r.ReadCount("big", 1, {1, 5});
            }).message,
            "expected an integer <= 5, got 9223372036854775807");
  ConfigurationError f = CaptureError([&] { r.ReadCount("f", 1, {1, 5}); });
  EXPECT_EQ(f.message, "expected an integer >= 1, got 1.5");
  EXPECT_EQ(f.line, 9u);
  EXPECT_EQ(f.column, 5u);
}

struct BadDomainValue {
  std::string toml;
  std::string key_path;
  std::string message;  // a prefix of the error message
  uint32_t line;
  uint32_t column;
};

class DomainBoundsTest : public ::testing::TestWithParam<BadDomainValue> {};

TEST_P(DomainBoundsTest, IsRejectedAtLoadWithFileKeyAndPosition) {
  const BadDomainValue& b = GetParam();
  ConfigurationError e = CaptureError([&] { ParseText(b.toml); });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_EQ(e.file, "domain.toml");
  EXPECT_EQ(e.key_path, b.key_path);
  EXPECT_EQ(e.message.substr(0, b.message.size()), b.message) << e.message;
  EXPECT_EQ(e.line, b.line);
  EXPECT_EQ(e.column, b.column);
}

const char kHandler[] = "[handlers.A]\nstream = \"s\"\n";

INSTANTIATE_TEST_SUITE_P(
    Keys, DomainBoundsTest,
    ::testing::Values(
        // [server.dlq]: a cycle back to back would spin on the broker.
        BadDomainValue{"[server.dlq]\ncheck_interval_seconds = 1e-9\n",
                       "server.dlq.check_interval_seconds", "expected at least 0.1 (", 2, 26},
        BadDomainValue{"[server.dlq]\ncheck_interval_seconds = inf\n",
                       "server.dlq.check_interval_seconds", "expected a number > 0, got inf", 2,
                       26},
        BadDomainValue{"[server.dlq]\ncheck_interval_seconds = 1e300\n",
                       "server.dlq.check_interval_seconds", "expected at most 86400, got 1e+300", 2,
                       26},
        BadDomainValue{"[server.dlq]\nretention_hours = 1e12\n", "server.dlq.retention_hours",
                       "expected at most 100000, got 1e+12", 2, 19},
        BadDomainValue{"[server.dlq]\nalert_threshold = 1e3\n", "server.dlq.alert_threshold",
                       "expected an integer >= 1, got 1000", 2, 19},
        BadDomainValue{"[server]\nworker_threads = 0\n", "server.worker_threads",
                       "expected an integer >= 1, got 0", 2, 18},
        BadDomainValue{"[server]\nworker_threads = 300\n", "server.worker_threads",
                       "expected an integer <= 256, got 300", 2, 18},
        BadDomainValue{"[server]\nworkers = 100000\n", "server.workers",
                       "expected an integer <= 1024, got 100000", 2, 11},
        BadDomainValue{"[databases.default]\nprovider = \"memory\"\npool_size = 1000000\n",
                       "databases.default.pool_size", "expected an integer <= 1000", 3, 13},
        BadDomainValue{"[brokers.default]\nprovider = \"inline\"\nsocket_timeout = nan\n",
                       "brokers.default.socket_timeout", "expected a number > 0, got nan", 3, 18},
        BadDomainValue{"[caches.default]\nprovider = \"memory\"\nTTL = 9223372036854775807\n",
                       "caches.default.TTL", "expected an integer <= 1000000000", 3, 7},
        BadDomainValue{"command_default_timeout = -inf\n", "command_default_timeout",
                       "expected a number > 0, got -inf", 1, 27},
        // Subscription settings, wherever they are written.
        BadDomainValue{"[server.stream_subscription]\nclaim_idle_seconds = 1e-9\n",
                       "server.stream_subscription.claim_idle_seconds", "expected at least 0.1 (",
                       2, 22},
        BadDomainValue{"[server.stream_subscription]\nretry_delay_seconds = inf\n",
                       "server.stream_subscription.retry_delay_seconds",
                       "expected a number >= 0, got inf", 2, 23},
        BadDomainValue{"[server.subscriptions.A]\nclaim_idle_seconds = 1e300\n",
                       "server.subscriptions.A.claim_idle_seconds",
                       "expected at most 1e+06, got 1e+300", 2, 22},
        BadDomainValue{"[server.profiles.p]\nmessages_per_tick = 1000000000\n",
                       "server.profiles.p.messages_per_tick",
                       "expected an integer <= 100000, got 1000000000", 2, 21},
        BadDomainValue{"[server]\ntick_interval = nan\n", "server.tick_interval",
                       "expected a number >= 0, got nan", 2, 17},
        BadDomainValue{std::string(kHandler) +
                           "[handlers.A.subscription_config]\nhandler_timeout_seconds = 1e-9\n",
                       "handlers.A.subscription_config.handler_timeout_seconds",
                       "expected at least 0.001 (", 4, 27},
        BadDomainValue{
            std::string(kHandler) + "[handlers.A.subscription_config]\nblocking_timeout_ms = -1\n",
            "handlers.A.subscription_config.blocking_timeout_ms",
            "expected an integer >= 0, got -1", 4, 23},
        BadDomainValue{
            std::string(kHandler) + "[handlers.A.subscription_config]\nmax_retries = 10000000000\n",
            "handlers.A.subscription_config.max_retries",
            "expected an integer <= 1000000, got 10000000000", 4, 15},
        BadDomainValue{"[server.stream_subscription]\nretry_jitter = 2\n",
                       "server.stream_subscription.retry_jitter", "expected a number in [0, 1]", 2,
                       16},
        BadDomainValue{"[server.stream_subscription]\nconcurrency = 257\n",
                       "server.stream_subscription.concurrency",
                       "expected an integer <= 256, got 257", 2, 15},
        BadDomainValue{"[server.subscriptions.A]\nordered_by = \"\"\n",
                       "server.subscriptions.A.ordered_by", "expected the payload key to order by",
                       2, 14},
        BadDomainValue{"[server.stream_subscription]\nposition_update_interval = 0\n",
                       "server.stream_subscription.position_update_interval",
                       "expected an integer >= 1, got 0", 2, 28}));

TEST(DomainBoundsTest, ValuesAtTheEdgesLoad) {
  DomainConfig config = ParseText(R"(
[server]
worker_threads = 256
workers = 1024
tick_interval = 0
[server.dlq]
check_interval_seconds = 0.1
retention_hours = 100000
[server.stream_subscription]
claim_idle_seconds = 0.1
retry_delay_seconds = 0
messages_per_tick = 100000
[handlers.A]
stream = "s"
)");
  EXPECT_EQ(config.server.worker_threads, 256);
  EXPECT_EQ(config.server.dlq.check_interval_seconds, 0.1);
  ASSERT_EQ(config.handlers.size(), 1u);
  EXPECT_EQ(config.handlers[0].name, "A");
}

}  // namespace
}  // namespace protean::config
