// dlq_iff_exhausted and dlq_alerts over hand-built histories.

#include <gtest/gtest.h>

#include "harness/checkers.h"
#include "tests/harness/checker_test_util.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;
using json = nlohmann::ordered_json;

// m1 fails `failures` times on w0 (max_retries 3), one second apart.
HistoryBuilder Failing(int failures, const json& overrides = json::object()) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", overrides).Start("w0").Publish("m1");
  for (int n = 1; n <= failures; ++n) {
    b.At((n - 1) * 1000)
        .Deliver("w0", "Billing", "m1", n)
        .Attempt("w0", "Billing", "m1", n, "failed");
    if (n < 3) b.Retry("w0", "Billing", "m1", n, 1000);
  }
  return b;
}

TEST(DlqIffExhaustedTest, DeadLetteredAfterTheLastAttempt) {
  EXPECT_PASSES(CheckDlqIffExhausted(Failing(3).DlqMoved("w0", "Billing", "m1", 3).Build()));
}

TEST(DlqIffExhaustedTest, DeadLetteredTooEarlyFails) {
  const CheckResult r = CheckDlqIffExhausted(Failing(2).DlqMoved("w0", "Billing", "m1", 2).Build());
  EXPECT_FAILS_WITH(r, "dead-lettered at attempt 2 with max_retries 3 after 2 failed attempt(s)");
}

TEST(DlqIffExhaustedTest, ExhaustedWithoutDeadLetterFails) {
  EXPECT_FAILS_WITH(CheckDlqIffExhausted(Failing(3).Build()),
                    "3 failed attempt(s) with max_retries 3 but neither dead-lettered nor pending");
  // Still pending at the end (e.g. the move failed and the instance stopped): fine.
  EXPECT_PASSES(CheckDlqIffExhausted(Failing(3).FinalPending("Billing", "m1", 3).Build()));
}

TEST(DlqIffExhaustedTest, NoDeadLetterForAMessageHandledLater) {
  History h = Failing(3)
                  .DlqMoved("w0", "Billing", "m1", 3)
                  .At(5000)
                  .Attempt("w0", "Billing", "m1", 4)
                  .Build();
  EXPECT_FAILS_WITH(CheckDlqIffExhausted(h), "handled successfully after it was dead-lettered");
}

TEST(DlqIffExhaustedTest, UndecodableAndClaimedExhaustedEntriesGoAtOnce) {
  History h = HistoryBuilder()
                  .StreamSub("Billing", "orders")
                  .Start("w0")
                  .Publish("bad")
                  .Publish("old")
                  .DlqMoved("w0", "Billing", "bad", 1, "undecodable: no type")
                  .Claimed("w0", "Billing", "old", 4)
                  .DlqMoved("w0", "Billing", "old", 3, "attempts exhausted: delivered 4 times")
                  .Build();
  EXPECT_PASSES(CheckDlqIffExhausted(h));
  History early = HistoryBuilder()
                      .StreamSub("Billing", "orders")
                      .Start("w0")
                      .Publish("old")
                      .DlqMoved("w0", "Billing", "old", 1, "attempts exhausted: delivered 2 times")
                      .Build();
  EXPECT_FAILS_WITH(CheckDlqIffExhausted(early), "exhausted at attempt 1 with max_retries 3");
}

TEST(DlqIffExhaustedTest, WithoutDlqExhaustedMessagesAreDropped) {
  const json no_dlq = {{"enable_dlq", false}};
  EXPECT_PASSES(CheckDlqIffExhausted(Failing(3, no_dlq).Dropped("w0", "Billing", "m1", 3).Build()));
  EXPECT_FAILS_WITH(CheckDlqIffExhausted(Failing(3, no_dlq).Build()),
                    "neither dropped nor pending");
  EXPECT_FAILS_WITH(
      CheckDlqIffExhausted(Failing(3, no_dlq).DlqMoved("w0", "Billing", "m1", 3).Build()),
      "dead-lettered although enable_dlq = false");
  EXPECT_FAILS_WITH(CheckDlqIffExhausted(Failing(3).Dropped("w0", "Billing", "m1", 3).Build()),
                    "dropped although enable_dlq = true");
}

TEST(DlqIffExhaustedTest, EventStoreRecordsTheFailureAfterTheLastAttempt) {
  auto failing = [](int failures) {
    HistoryBuilder b;
    b.EventStoreSub("Projector", "account").Start("w0").PublishEs("e1");
    for (int n = 1; n <= failures; ++n) b.Attempt("w0", "Projector", "e1", n, "failed");
    return b;
  };
  EXPECT_PASSES(CheckDlqIffExhausted(failing(3).Dropped("w0", "Projector", "e1", 3).Build()));
  EXPECT_FAILS_WITH(CheckDlqIffExhausted(failing(1).Dropped("w0", "Projector", "e1", 1).Build()),
                    "failure recorded after attempt 1 with max_retries 3");
  EXPECT_FAILS_WITH(CheckDlqIffExhausted(failing(3).Build()), "but the failure was never recorded");
}

// --- dlq_alerts (per DLQ stream, from the declared policy: checkers_oracle_test.cc) ---

TEST(DlqAlertsTest, ExpectAlertCounts) {
  auto history = [](const char* key, int64_t value) {
    return HistoryBuilder()
        .Header("dlq", {{"enabled", true}, {"alert_threshold", 5}})
        .Expect(key, value)
        .DlqChecked("w0", "orders:dlq", 6, 5)
        .DlqAlert("w0", "orders:dlq", 6, 5)
        .Build();
  };
  EXPECT_PASSES(CheckDlqAlerts(history("alerts", 1)));
  EXPECT_FAILS_WITH(CheckDlqAlerts(history("alerts", 2)), "expect.alerts = 2, got 1");
  EXPECT_FAILS_WITH(CheckDlqAlerts(history("alerts_min", 2)), "expect.alerts_min = 2, got 1");
  EXPECT_FAILS_WITH(CheckDlqAlerts(history("alerts_max", 0)), "expect.alerts_max = 0, got 1");
  EXPECT_PASSES(CheckDlqAlerts(history("alerts_max", 1)));
}

}  // namespace
}  // namespace protean::harness
