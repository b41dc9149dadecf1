// backoff, convergence, drain and readiness over hand-built histories.

#include <gtest/gtest.h>

#include "harness/checkers.h"
#include "tests/harness/checker_test_util.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;
using json = nlohmann::ordered_json;

// --- backoff ------------------------------------------------------------------------

// m1 fails at t=0, its retry waits `delay_ms`, the next attempt starts at `next_ms`.
History Retried(int64_t delay_ms, int64_t next_ms, const json& overrides = json::object()) {
  return HistoryBuilder()
      .StreamSub("Billing", "orders", overrides)
      .Start("w0")
      .Publish("m1")
      .Deliver("w0", "Billing", "m1")
      .Attempt("w0", "Billing", "m1", 1, "failed")
      .Retry("w0", "Billing", "m1", 1, delay_ms)
      .At(next_ms)
      .Deliver("w0", "Billing", "m1", 2)
      .Attempt("w0", "Billing", "m1", 2)
      .Build();
}

TEST(BackoffCheckerTest, RetryWaitsAsConfigured) {
  EXPECT_PASSES(CheckBackoff(Retried(1000, 1000)));
}

TEST(BackoffCheckerTest, ADelayOutsideTheConfiguredBoundsFails) {
  EXPECT_FAILS_WITH(CheckBackoff(Retried(500, 1000)),
                    "retry after attempt 1 waits 0.500s, declared [1.000s, 1.000s]");
}

TEST(BackoffCheckerTest, AnAttemptBeforeItsDueTimeFails) {
  EXPECT_FAILS_WITH(
      CheckBackoff(Retried(1000, 999)),
      "t=+0.999s w0 Billing msg m1: attempt 2 started before its retry was due at +1.000s");
}

TEST(BackoffCheckerTest, JitterAndExponentialBoundsComeFromTheConfig) {
  const json exp = {
      {"retry_backoff", "exponential"}, {"retry_delay_seconds", 2}, {"retry_jitter", 0.25}};
  // attempt 1: 2 s +/- 25 % = [1.5 s, 2.5 s]
  EXPECT_PASSES(CheckBackoff(Retried(1500, 1500, exp)));
  EXPECT_PASSES(CheckBackoff(Retried(2500, 2600, exp)));
  EXPECT_FAILS_WITH(CheckBackoff(Retried(2600, 2600, exp)), "declared [1.500s, 2.500s]");
}

TEST(BackoffCheckerTest, TheDelayValueMatchesDue) {
  History h = HistoryBuilder()
                  .StreamSub("Billing", "orders")
                  .Start("w0")
                  .Publish("m1")
                  .Msg("retry_scheduled", "w0", "Billing", "m1", 1,
                       {{"value", 1'000'000}, {"due", HistoryBuilder::kStartUs + 2'000'000}})
                  .Build();
  EXPECT_FAILS_WITH(CheckBackoff(h), "retry delay 1.000s disagrees with due - t = 2.000s");
}

TEST(BackoffCheckerTest, ARetryThatNeverRunsIsFine) {
  History h = HistoryBuilder()
                  .StreamSub("Billing", "orders")
                  .Start("w0")
                  .Publish("m1")
                  .Signal("w0")
                  .Attempt("w0", "Billing", "m1", 1, "failed")
                  .Retry("w0", "Billing", "m1", 1, 1000)
                  .Step("w0", "drain_done")
                  .Closed("w0")
                  .Build();
  EXPECT_PASSES(CheckBackoff(h));
}

TEST(BackoffCheckerTest, EventStoreRetriesInPlace) {
  auto history = [](int64_t next_ms) {
    return HistoryBuilder()
        .EventStoreSub("Projector", "account")
        .Start("w0")
        .PublishEs("e1")
        .Attempt("w0", "Projector", "e1", 1, "failed")
        .Retry("w0", "Projector", "e1", 1, 1000)
        .At(next_ms)
        .Attempt("w0", "Projector", "e1", 2)
        .Build();
  };
  EXPECT_PASSES(CheckBackoff(history(1000)));
  EXPECT_FAILS_WITH(CheckBackoff(history(10)), "started before its retry was due");
}

// --- convergence ----------------------------------------------------------------------

HistoryBuilder Converging() {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders").Phases(5000, 30'000).Start("w0").Publish("m1");
  return b;
}

TEST(ConvergenceTest, FinalWithinTheBound) {
  EXPECT_PASSES(CheckConvergence(Converging().At(35'000).Handled("w0", "Billing", "m1").Build()));
}

TEST(ConvergenceTest, FinalTooLateFails) {
  EXPECT_FAILS_WITH(
      CheckConvergence(Converging().At(35'001).Handled("w0", "Billing", "m1").Build()),
      "final only at +35.001s, after +35.000s");
}

TEST(ConvergenceTest, StillPendingWithALiveInstanceFails) {
  History h =
      Converging().Deliver("w0", "Billing", "m1").At(40'000).FinalPending("Billing", "m1").Build();
  EXPECT_FAILS_WITH(CheckConvergence(h), "Billing msg m1: not final by the end (+40.000s)");
}

TEST(ConvergenceTest, PendingIsFineWhenNoInstanceIsLeft) {
  History h = Converging()
                  .Deliver("w0", "Billing", "m1")
                  .At(100)
                  .Signal("w0")
                  .Step("w0", "drain_done")
                  .Closed("w0")
                  .At(40'000)
                  .FinalPending("Billing", "m1")
                  .Build();
  EXPECT_PASSES(CheckConvergence(h));
}

TEST(ConvergenceTest, NothingToCheckWithoutPhases) {
  History h = HistoryBuilder().StreamSub("Billing", "orders").Start("w0").Publish("m1").Build();
  EXPECT_PASSES(CheckConvergence(h));
}

// --- drain ------------------------------------------------------------------------------

// w0 handles m1, is signalled at 1 s and drains in `drain_ms`.
HistoryBuilder Draining(int64_t drain_ms) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders").Start("w0").Publish("m1").Deliver("w0", "Billing", "m1");
  b.At(1000).Signal("w0").Probe("w0", 503, "unavailable");
  b.At(1000 + drain_ms).Attempt("w0", "Billing", "m1").Step("w0", "drain_done");
  b.Acked("w0", "Billing", "m1");
  return b;
}

TEST(DrainTest, AGracefulShutdownInOrderPasses) {
  EXPECT_PASSES(CheckDrain(Draining(500).Closed("w0").Build()));
}

TEST(DrainTest, DrainDoneAfterTheBoundFails) {
  EXPECT_FAILS_WITH(CheckDrain(Draining(10'001).Closed("w0").Build()),
                    "t=+11.001s w0: drain_done after the drain bound +11.000s");
}

TEST(DrainTest, AdaptersClosedOutOfOrderFail) {
  History h = Draining(500)
                  .Step("w0", "flushed")
                  .Step("w0", "close:event_store")
                  .Step("w0", "close:database:default")
                  .Step("w0", "close:broker:default:failed")
                  .Step("w0", "stopped")
                  .Build();
  EXPECT_FAILS_WITH(CheckDrain(h),
                    "shutdown step close:broker:default:failed after close:database:default");
}

TEST(DrainTest, MissingAndUnknownStepsFail) {
  History h = HistoryBuilder()
                  .Start("w0")
                  .Step("w0", "signal:SIGTERM")
                  .Step("w0", "drain_done")
                  .Step("w0", "teleport")
                  .Step("w0", "stopped")
                  .Build();
  const CheckResult r = CheckDrain(h);
  EXPECT_FAILS_WITH(r, "unknown shutdown step \"teleport\"");
  EXPECT_FAILS_WITH(r, "shutdown without step stop_fetching");
  EXPECT_FAILS_WITH(r, "shutdown without step flushed");
}

TEST(DrainTest, NoDrainEndByTheBoundFails) {
  History h = HistoryBuilder().Start("w0").Signal("w0").At(30'000).Build();
  EXPECT_FAILS_WITH(CheckDrain(h), "no drain_done or drain_timeout by the bound +10.000s");
}

// m1 finished before the cut-off; m2 was still running at it.
HistoryBuilder CutOff() {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders").Start("w0").Publish("m1").Publish("m2");
  b.Deliver("w0", "Billing", "m1").Attempt("w0", "Billing", "m1");
  b.Deliver("w0", "Billing", "m2").Msg("attempt_started", "w0", "Billing", "m2", 1);
  b.At(1000).Signal("w0").At(11'000).Step("w0", "drain_timeout:1");
  return b;
}

TEST(DrainTest, AfterACutOffOnlyFinishedMessagesAreAcked) {
  EXPECT_PASSES(CheckDrain(CutOff().Acked("w0", "Billing", "m1").Closed("w0").Build()));
}

TEST(DrainTest, AnAckAfterTheCutOffOfAnUnfinishedMessageFails) {
  History h =
      CutOff().Acked("w0", "Billing", "m1").Acked("w0", "Billing", "m2").Closed("w0").Build();
  EXPECT_FAILS_WITH(CheckDrain(h),
                    "t=+11.000s w0 Billing msg m2: acked after the drain cut-off at +11.000s "
                    "although unfinished at it");
}

TEST(DrainTest, ALateCompletionAfterTheCutOffFails) {
  History h = CutOff()
                  .At(11'500)
                  .Msg("attempt_finished", "w0", "Billing", "m2", 1, {{"outcome", "ok"}})
                  .Closed("w0")
                  .Build();
  EXPECT_FAILS_WITH(CheckDrain(h), "attempt finished (ok) after the drain cut-off at +11.000s");
}

TEST(DrainTest, ACutOffBeforeTheBoundFails) {
  History h = HistoryBuilder()
                  .Start("w0")
                  .Signal("w0")
                  .At(5000)
                  .Step("w0", "drain_timeout:1")
                  .Closed("w0")
                  .Build();
  EXPECT_FAILS_WITH(CheckDrain(h), "drain cut off before its bound +10.000s");
}

// --- readiness -----------------------------------------------------------------------------

TEST(ReadinessTest, DrainingAtTheSignalAnd503WhileDraining) {
  History h = Draining(500)
                  .Probe("w0", 503, "unavailable")
                  .Closed("w0")
                  .Probe("w0", 503, "unavailable")
                  .Build();
  EXPECT_PASSES(CheckReadiness(h));
}

TEST(ReadinessTest, AProbe200DuringTheDrainFails) {
  History h =
      HistoryBuilder().Start("w0").At(1000).Signal("w0").At(1100).Probe("w0", 200, "ok").Build();
  EXPECT_FAILS_WITH(
      CheckReadiness(h),
      "t=+1.100s w0: readiness probe answered 200 \"ok\" while draining; expected 503 "
      "\"unavailable\"");
}

TEST(ReadinessTest, ReadinessMustTurnDrainingAtTheSignal) {
  History h = HistoryBuilder()
                  .Start("w0")
                  .At(1000)
                  .Step("w0", "signal:SIGTERM")
                  .At(1001)
                  .Raw({{"event", "readiness"}, {"instance", "w0"}, {"outcome", "draining"}})
                  .Build();
  EXPECT_FAILS_WITH(CheckReadiness(h),
                    "t=+1.000s w0: readiness did not turn draining at the signal");
}

TEST(ReadinessTest, DegradedOnlyInsideABrokerFault) {
  History inside = HistoryBuilder()
                       .Start("w0")
                       .Fault(true, "broker_unavailable")
                       .Probe("w0", 503, "degraded")
                       .Fault(false, "broker_unavailable")
                       .Probe("w0", 200, "ok")
                       .Build();
  EXPECT_PASSES(CheckReadiness(inside));
  History outside = HistoryBuilder()
                        .Start("w0")
                        .Start("w1")
                        .Fault(true, "broker_unavailable", "w1")
                        .Probe("w0", 503, "degraded")
                        .Build();
  EXPECT_FAILS_WITH(CheckReadiness(outside),
                    "while running; expected 200 \"ok\" (no broker/event-store fault covers it)");
}

TEST(ReadinessTest, RealModeAllowsTheStoppingAnswerJustBeforeTheLoggedSignal) {
  // The harness sent SIGTERM, probed, and the process logged taking the
  // signal 20 us after answering the probe 503 "unavailable".
  auto history = [](const char* mode, int64_t gap_us) {
    return HistoryBuilder()
        .Header("mode", mode)
        .Start("w0")
        .AtUs(1'000'000)
        .Probe("w0", 503, "unavailable")
        .AtUs(1'000'000 + gap_us)
        .Step("w0", "signal:SIGTERM")
        .Raw({{"event", "readiness"}, {"instance", "w0"}, {"outcome", "draining"}})
        .Build();
  };
  EXPECT_PASSES(CheckReadiness(history("test", 20)));
  // Beyond the slack, or in the simulation (no slack), it is a defect.
  EXPECT_FAILS_WITH(CheckReadiness(history("test", 1'000'000)),
                    "t=+1.000s w0: readiness probe answered 503 \"unavailable\" while running");
  EXPECT_FAILS_WITH(CheckReadiness(history("memory", 20)),
                    "t=+1.000s w0: readiness probe answered 503 \"unavailable\" while running");
}

TEST(ReadinessTest, RealModeAllowsClockSlack) {
  History h = HistoryBuilder()
                  .Header("mode", "test")
                  .Start("w0")
                  .At(1000)
                  .Step("w0", "signal:SIGTERM")
                  .AtUs(1'000'040)
                  .Raw({{"event", "readiness"}, {"instance", "w0"}, {"outcome", "draining"}})
                  .Build();
  EXPECT_PASSES(CheckReadiness(h));
}

}  // namespace
}  // namespace protean::harness
