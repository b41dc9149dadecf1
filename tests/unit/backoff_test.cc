#include <gtest/gtest.h>

#include "core/engine/backoff.h"

namespace protean {
namespace {

SubscriptionConfig Config(BackoffKind kind, double base, double cap, double jitter = 0) {
  SubscriptionConfig c;
  c.retry_backoff = kind;
  c.retry_delay_seconds = base;
  c.retry_backoff_max_seconds = cap;
  c.retry_jitter = jitter;
  return c;
}

TEST(BackoffTest, FixedIsTheBaseEveryTime) {
  Prng prng(1);
  const auto c = Config(BackoffKind::kFixed, 1.5, 0.1);  // the cap applies to growth only
  for (int n = 1; n <= 5; ++n) EXPECT_EQ(RetryDelay(c, n, prng), Millis(1500));
}

TEST(BackoffTest, LinearGrowsByTheBaseUntilTheCap) {
  Prng prng(1);
  const auto c = Config(BackoffKind::kLinear, 2, 7);
  EXPECT_EQ(RetryDelay(c, 1, prng), Seconds(2));
  EXPECT_EQ(RetryDelay(c, 2, prng), Seconds(4));
  EXPECT_EQ(RetryDelay(c, 3, prng), Seconds(6));
  EXPECT_EQ(RetryDelay(c, 4, prng), Seconds(7));
  EXPECT_EQ(RetryDelay(c, 40, prng), Seconds(7));
}

TEST(BackoffTest, ExponentialDoublesUntilTheCap) {
  Prng prng(1);
  const auto c = Config(BackoffKind::kExponential, 0.5, 3);
  EXPECT_EQ(RetryDelay(c, 1, prng), Millis(500));
  EXPECT_EQ(RetryDelay(c, 2, prng), Millis(1000));
  EXPECT_EQ(RetryDelay(c, 3, prng), Millis(2000));
  EXPECT_EQ(RetryDelay(c, 4, prng), Millis(3000));
  EXPECT_EQ(RetryDelay(c, 1000, prng), Millis(3000));  // no overflow
}

TEST(BackoffTest, JitterStaysWithinItsBoundsAndFollowsTheSeed) {
  const auto c = Config(BackoffKind::kFixed, 1, 60, 0.25);
  Prng a(5), b(5);
  bool varied = false;
  Duration first = RetryDelay(c, 1, a);
  (void)RetryDelay(c, 1, b);
  for (int i = 0; i < 500; ++i) {
    const Duration d = RetryDelay(c, 1, a);
    EXPECT_EQ(d, RetryDelay(c, 1, b));
    EXPECT_GE(d, RetryDelayLowerBound(c, 1));
    EXPECT_LE(d, RetryDelayUpperBound(c, 1));
    varied = varied || d != first;
  }
  EXPECT_TRUE(varied);
  EXPECT_EQ(RetryDelayLowerBound(c, 1), Millis(750));
  EXPECT_EQ(RetryDelayUpperBound(c, 1), Millis(1250));
}

TEST(BackoffTest, ZeroDelayIsZero) {
  Prng prng(1);
  EXPECT_EQ(RetryDelay(Config(BackoffKind::kExponential, 0, 10, 0.5), 3, prng), Duration{0});
}

}  // namespace
}  // namespace protean
