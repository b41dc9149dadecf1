// expectations and RunCheckers over hand-built histories.

#include <set>

#include <gtest/gtest.h>

#include "harness/checkers.h"
#include "tests/harness/checker_test_util.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;

// Two messages handled, one dead-lettered after three attempts (two retries),
// a claim, a DLQ alert, a drain with a probe, position writes.
HistoryBuilder Busy() {
  HistoryBuilder b;
  // DLQ maintenance every 4 s with threshold 1: the alert at 4 s is its first cycle.
  b.Header("dlq", {{"enabled", true}, {"alert_threshold", 1}, {"check_interval_seconds", 4}});
  b.StreamSub("Billing", "orders").Phases(5000, 30'000).Start("w0");
  b.Publish("m1").Publish("m2").Publish("m3");
  b.Handled("w0", "Billing", "m1");
  for (int n = 1; n <= 3; ++n) {
    b.At((n - 1) * 1000)
        .Deliver("w0", "Billing", "m3", n)
        .Attempt("w0", "Billing", "m3", n, "failed");
    if (n < 3) b.Retry("w0", "Billing", "m3", n, 1000);
  }
  b.DlqMoved("w0", "Billing", "m3", 3);
  b.At(3000)
      .Claimed("w0", "Billing", "m2", 1)
      .Attempt("w0", "Billing", "m2")
      .Acked("w0", "Billing", "m2");
  b.At(4000).DlqChecked("w0", "orders:dlq", 1, 1).DlqAlert("w0", "orders:dlq", 1, 1);
  b.PositionWritten("w0", "Billing", 3);
  b.At(5000).Signal("w0").Probe("w0", 503, "unavailable").Step("w0", "drain_done").Closed("w0");
  b.At(6000).Raw(
      {{"event", "final_dlq"}, {"stream", "orders"}, {"message_id", "m3"}, {"entry_id", "9-0"}});
  return b;
}

TEST(ExpectationsTest, EveryKeyMatches) {
  History h = Busy()
                  .Expect("handled", 2)
                  .Expect("dead_lettered", 1)
                  .Expect("dropped", 0)
                  .Expect("pending_at_end", 0)
                  .Expect("duplicates_max", 0)
                  .Expect("duplicates_min", 0)
                  .Expect("retries", 2)
                  .Expect("claimed_min", 1)
                  .Expect("alerts", 1)
                  .Expect("alerts_min", 1)
                  .Expect("alerts_max", 1)
                  .Expect("drain_timeouts", 0)
                  .Expect("probes_unavailable_min", 1)
                  .Expect("spread_min_fraction", 0)
                  .Expect("position_writes_min", 1)
                  .Build();
  EXPECT_PASSES(CheckExpectations(h));
  for (const CheckResult& r : RunCheckers(h)) EXPECT_PASSES(r);
}

TEST(ExpectationsTest, AMismatchNamesTheKeyAndBothCounts) {
  const CheckResult r = CheckExpectations(Busy().Expect("handled", 3).Build());
  ASSERT_EQ(r.violations.size(), 1u) << testing::Describe(r);
  EXPECT_EQ(r.violations[0],
            "expect.handled = 3, got 2 ((handler, message) pairs handled successfully)");
}

TEST(ExpectationsTest, MinAndMaxAreBounds) {
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("claimed_min", 2).Build()),
                    "expect.claimed_min = 2, got 1");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("position_writes_min", 5).Build()),
                    "expect.position_writes_min = 5, got 1");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("probes_unavailable_min", 2).Build()),
                    "expect.probes_unavailable_min = 2, got 1");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("retries", 3).Build()),
                    "expect.retries = 3, got 2");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("dead_lettered", 0).Build()),
                    "expect.dead_lettered = 0, got 1");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("drain_timeouts", 1).Build()),
                    "expect.drain_timeouts = 1, got 0");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("pending_at_end", 1).Build()),
                    "expect.pending_at_end = 1, got 0");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("dropped", 1).Build()),
                    "expect.dropped = 1, got 0");
}

TEST(ExpectationsTest, UnknownKeysAndWrongTypesFail) {
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("handeld", 2).Build()),
                    "unknown expectation expect.handeld = 2");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("handled", "2").Build()),
                    "expect.handled: expected a non-negative integer, got \"2\"");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("retries", 1.5).Build()),
                    "expect.retries: expected a non-negative integer, got 1.5");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("spread_min_fraction", true).Build()),
                    "expect.spread_min_fraction: expected a non-negative number");
}

TEST(ExpectationsTest, CheckerOwnedKeysAreComparedToo) {
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("alerts", 0).Build()),
                    "expect.alerts = 0, got 1");
  EXPECT_FAILS_WITH(CheckExpectations(Busy().Expect("duplicates_min", 1).Build()),
                    "expect.duplicates_min = 1, got 0");
}

TEST(RunCheckersTest, RunsEveryCheckerInOrder) {
  const std::vector<CheckResult> results = RunCheckers(Busy().Build());
  std::vector<std::string> names;
  for (const CheckResult& r : results) names.push_back(r.checker);
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "no_loss", "duplicates", "dlq_iff_exhausted", "backoff", "retry_backlog",
                "handler_calls", "drain", "readiness", "dlq_alerts", "scaling", "convergence",
                "circuit_breaker", "concurrency", "recovery", "priority_lanes", "expectations"}));
}

TEST(RunCheckersTest, AMissedCountIsReportedOnce) {
  size_t reports = 0;
  for (const CheckResult& r : RunCheckers(Busy().Expect("alerts", 2).Build())) {
    for (const std::string& v : r.violations) {
      reports += v.find("expect.alerts") != std::string::npos ? 1 : 0;
      EXPECT_EQ(r.checker, "dlq_alerts") << v;
    }
  }
  EXPECT_EQ(reports, 1u);
}

TEST(RunCheckersTest, ABrokenHistoryFailsSeveralCheckers) {
  History h = HistoryBuilder()
                  .StreamSub("Billing", "orders")
                  .Phases(1000, 1000)
                  .Start("w0")
                  .Publish("m1")
                  .Publish("m2")
                  .Handled("w0", "Billing", "m1")
                  .Attempt("w0", "Billing", "m1")
                  .Deliver("w0", "Billing", "m2")
                  .At(5000)
                  .Build();
  std::set<std::string> failed;
  for (const CheckResult& r : RunCheckers(h)) {
    if (!r.passed()) failed.insert(r.checker);
  }
  EXPECT_EQ(failed, (std::set<std::string>{"no_loss", "duplicates", "convergence"}));
}

}  // namespace
}  // namespace protean::harness
