// The circuit breaker's state machine (core/engine/circuit_breaker.h), as
// Protean's StreamSubscription._record_handler_outcome and
// _circuit_permits_reads define it.
#include "core/engine/circuit_breaker.h"

#include <gtest/gtest.h>

namespace protean {
namespace {

const TimePoint kT0 = FromMicros(1'767'225'600'000'000);

TEST(CircuitBreakerTest, OpensOnTheThresholdthConsecutiveFailure) {
  CircuitBreaker b(3, Seconds(60));
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_FALSE(b.Record(false, kT0).has_value());
  EXPECT_FALSE(b.Record(false, kT0).has_value());
  EXPECT_TRUE(b.permits_reads());
  EXPECT_EQ(b.Record(false, kT0 + Seconds(1)), CircuitState::kOpen);
  EXPECT_FALSE(b.permits_reads());
  EXPECT_EQ(b.consecutive_failures(), 3);
  EXPECT_EQ(b.probe_at(), kT0 + Seconds(61));
}

TEST(CircuitBreakerTest, ASuccessResetsTheCount) {
  CircuitBreaker b(3, Seconds(60));
  b.Record(false, kT0);
  b.Record(false, kT0);
  EXPECT_FALSE(b.Record(true, kT0).has_value());
  EXPECT_EQ(b.consecutive_failures(), 0);
  b.Record(false, kT0);
  EXPECT_FALSE(b.Record(false, kT0).has_value());  // two since the success
  EXPECT_EQ(b.state(), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, ThresholdOneOpensOnTheFirstFailure) {
  CircuitBreaker b(1, Seconds(5));
  EXPECT_EQ(b.Record(false, kT0), CircuitState::kOpen);
}

TEST(CircuitBreakerTest, OutcomesWhileOpenDoNotChangeTheState) {
  CircuitBreaker b(2, Seconds(10));
  b.Record(false, kT0);
  b.Record(false, kT0);
  EXPECT_FALSE(b.Record(false, kT0 + Seconds(1)).has_value());  // a straggler
  EXPECT_EQ(b.consecutive_failures(), 3);
  EXPECT_FALSE(b.Record(true, kT0 + Seconds(2)).has_value());
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_EQ(b.consecutive_failures(), 0);
  EXPECT_EQ(b.probe_at(), kT0 + Seconds(10));  // the window is not restarted
}

TEST(CircuitBreakerTest, ProbeIsDueExactlyAfterTheResetWindow) {
  CircuitBreaker b(1, Seconds(10));
  b.Record(false, kT0);
  EXPECT_FALSE(b.ProbeDue(kT0 + Seconds(10) - Duration(1)));
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_TRUE(b.ProbeDue(kT0 + Seconds(10)));
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  EXPECT_TRUE(b.permits_reads());
  EXPECT_FALSE(b.probe_at().has_value());
  EXPECT_FALSE(b.ProbeDue(kT0 + Seconds(20)));  // only from OPEN
}

TEST(CircuitBreakerTest, ASucceedingProbeCloses) {
  CircuitBreaker b(2, Seconds(10));
  b.Record(false, kT0);
  b.Record(false, kT0);
  ASSERT_TRUE(b.ProbeDue(kT0 + Seconds(10)));
  EXPECT_EQ(b.Record(true, kT0 + Seconds(11)), CircuitState::kClosed);
  EXPECT_EQ(b.consecutive_failures(), 0);
  // Closed again: it takes the full threshold to open.
  EXPECT_FALSE(b.Record(false, kT0 + Seconds(12)).has_value());
}

TEST(CircuitBreakerTest, AFailingProbeReopensAndRestartsTheWindow) {
  CircuitBreaker b(5, Seconds(10));
  for (int i = 0; i < 5; ++i) b.Record(false, kT0);
  ASSERT_TRUE(b.ProbeDue(kT0 + Seconds(10)));
  EXPECT_EQ(b.Record(false, kT0 + Seconds(12)), CircuitState::kOpen);  // one failure suffices
  EXPECT_EQ(b.probe_at(), kT0 + Seconds(22));
  EXPECT_FALSE(b.ProbeDue(kT0 + Seconds(21)));
  EXPECT_TRUE(b.ProbeDue(kT0 + Seconds(22)));
}

TEST(CircuitBreakerTest, NamesAreProteans) {
  EXPECT_EQ(CircuitStateName(CircuitState::kClosed), "closed");
  EXPECT_EQ(CircuitStateName(CircuitState::kOpen), "open");
  EXPECT_EQ(CircuitStateName(CircuitState::kHalfOpen), "half_open");
  EXPECT_EQ(CircuitTransitionName(CircuitState::kOpen), "opened");
  EXPECT_EQ(CircuitTransitionName(CircuitState::kClosed), "closed");
  EXPECT_EQ(CircuitTransitionName(CircuitState::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace protean
