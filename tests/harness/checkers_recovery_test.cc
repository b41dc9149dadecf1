// The recovery checker (harness/checkers_recovery.cc): the event-store
// recovery pass judged from the declared policy.
#include <gtest/gtest.h>

#include "harness/checkers.h"
#include "tests/harness/checker_test_util.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;

// Interval 10 s, 2 retries, 1 s delay.
HistoryBuilder Recovering() {
  HistoryBuilder b;
  b.EventStoreSub("Projector", "account",
                  {{"enable_recovery", true},
                   {"recovery_interval_seconds", 10},
                   {"recovery_max_retries", 2},
                   {"recovery_retry_delay_seconds", 1}})
      .Start("w0")
      .PublishEs("e1");
  return b;
}

HistoryBuilder& Pass(HistoryBuilder& b) {
  return b.Raw({{"event", "recovery_pass"},
                {"instance", "w0"},
                {"subscription", "Projector"},
                {"value", 1}});
}

HistoryBuilder& Recorded(HistoryBuilder& b, int64_t attempt) {
  return b.Msg("failure_recorded", "w0", "Projector", "e1", attempt);
}

TEST(RecoveryCheckerTest, AFailureRecordedThenRetriedInPassesThenExhausted) {
  HistoryBuilder b = Recovering();
  b.Attempt("w0", "Projector", "e1", 1, "failed");
  Recorded(b, 1).PositionWritten("w0", "Projector", 1);
  for (int n = 2; n <= 3; ++n) {
    Pass(b.At(10000 * (n - 1)));
    b.At(10000 * (n - 1) + 1000).Attempt("w0", "Projector", "e1", n, "failed");
    Recorded(b, n);
  }
  Pass(b.At(30000));
  b.Dropped("w0", "Projector", "e1", 4);
  EXPECT_PASSES(CheckRecovery(b.Build()));
  EXPECT_PASSES(CheckDlqIffExhausted(b.Build()));
}

TEST(RecoveryCheckerTest, APositionStoredBeforeTheRecordIsAViolation) {
  HistoryBuilder b = Recovering();
  b.Attempt("w0", "Projector", "e1", 1, "failed").PositionWritten("w0", "Projector", 1);
  Recorded(b, 1);
  EXPECT_FAILS_WITH(CheckRecovery(b.Build()), "before its failure was recorded");
}

TEST(RecoveryCheckerTest, AFailureNeverRecordedIsAViolation) {
  HistoryBuilder b = Recovering();
  b.Attempt("w0", "Projector", "e1", 1, "failed");
  EXPECT_FAILS_WITH(CheckRecovery(b.Build()), "never recorded");
}

TEST(RecoveryCheckerTest, ARetryInPlaceIsAViolation) {
  HistoryBuilder b = Recovering();
  b.Attempt("w0", "Projector", "e1", 1, "failed").Retry("w0", "Projector", "e1", 1, 1000);
  Recorded(b, 1);
  b.At(1000).Attempt("w0", "Projector", "e1", 2, "ok");
  const History h = b.Build();
  EXPECT_FAILS_WITH(CheckRecovery(h), "retry scheduled in place");
  EXPECT_FAILS_WITH(CheckRecovery(h), "outside a recovery pass");
}

TEST(RecoveryCheckerTest, DelayIntervalAndRetryCountAreTheDeclaredOnes) {
  HistoryBuilder early = Recovering();
  early.Attempt("w0", "Projector", "e1", 1, "failed");
  Recorded(early, 1);
  Pass(early.At(10000));
  early.At(10200).Attempt("w0", "Projector", "e1", 2, "ok");
  EXPECT_FAILS_WITH(CheckRecovery(early.Build()), "declared retry_delay_seconds 1.000s");

  HistoryBuilder close = Recovering();
  Pass(close.At(1000));
  Pass(close.At(5000));
  EXPECT_FAILS_WITH(CheckRecovery(close.Build()), "declared recovery_interval_seconds 10.000s");

  HistoryBuilder many = Recovering();
  many.Attempt("w0", "Projector", "e1", 1, "failed");
  Recorded(many, 1);
  Pass(many.At(10000));
  many.At(11000).Attempt("w0", "Projector", "e1", 4, "failed");
  EXPECT_FAILS_WITH(CheckRecovery(many.Build()), "attempt 4 with recovery max_retries 2");
}

TEST(RecoveryCheckerTest, NothingIsAttemptedAfterExhausted) {
  HistoryBuilder b = Recovering();
  b.Dropped("w0", "Projector", "e1", 3);
  Pass(b.At(10000));
  b.At(11000).Attempt("w0", "Projector", "e1", 2, "failed");
  EXPECT_FAILS_WITH(CheckRecovery(b.Build()), "attempted again after it was recorded Exhausted");
}

TEST(RecoveryCheckerTest, DisabledRecoveryHasNoRecoveryEvents) {
  HistoryBuilder b;
  b.EventStoreSub("Projector", "account", {{"enable_recovery", false}}).Start("w0").PublishEs("e1");
  b.Attempt("w0", "Projector", "e1", 1, "failed");
  Recorded(b, 1);
  EXPECT_FAILS_WITH(CheckRecovery(b.Build()), "failure_recorded although enable_recovery = false");
}

// From the scenario's declaration: [server.event_store_subscription]'s
// max_retries is the recovery pass's.
TEST(RecoveryCheckerTest, TheDeclaredEventStoreSubscriptionTableIsRead) {
  HistoryBuilder b = Recovering();
  b.Header(
      "declared",
      {{"server",
        {{"event_store_subscription", {{"max_retries", 0}, {"recovery_interval_seconds", 10}}}}},
       {"handlers",
        {{"Projector",
          {{"stream", "account"},
           {"subscription_config", {{"subscription_type", "event_store"}}}}}}}});
  b.Attempt("w0", "Projector", "e1", 1, "failed");
  Recorded(b, 1);
  Pass(b.At(10000));
  b.At(11000).Attempt("w0", "Projector", "e1", 2, "failed");
  EXPECT_FAILS_WITH(CheckRecovery(b.Build()), "attempt 2 with recovery max_retries 0");
}

}  // namespace
}  // namespace protean::harness
