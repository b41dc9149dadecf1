// The checkers' own account of the declared policy (harness/checkers_oracle.h)
// and the checkers that judge from it: resolution with profiles, retry delays,
// the retry backlog cap, DLQ alerts per DLQ stream, the handler-call ledger,
// the shutdown flush and the DLQ's attempt count.

#include <gtest/gtest.h>

#include "harness/checkers.h"
#include "harness/checkers_oracle.h"
#include "tests/harness/checker_test_util.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using internal::Backoff;
using internal::ExpectedRetryDelay;
using internal::ResolveDeclared;
using internal::SubPolicy;
using testing::HistoryBuilder;
using json = nlohmann::ordered_json;

// --- resolution -------------------------------------------------------------------

TEST(OracleResolutionTest, EachLevelBeatsTheOneBelow) {
  const json declared = json::parse(R"({
    "server": {
      "default_subscription_profile": "BATCH",
      "stream_subscription": {"retry_delay_seconds": 0.25},
      "profiles": {"CAREFUL": {"inherits": "PRODUCTION", "retry_delay_seconds": 0.5}},
      "subscriptions": {"Table": {"profile": "FAST", "max_retries": 3},
                        "Own": {"profile": "BATCH"}}
    },
    "handlers": {
      "Default": {"stream": "s"},
      "Table": {"stream": "s"},
      "Own": {"stream": "s", "subscription_profile": "DEBUG"},
      "Explicit": {"stream": "s", "subscription_profile": "CAREFUL",
                   "subscription_config": {"max_retries": 7}}
    }})");
  const SubPolicy d = ResolveDeclared(declared, "Default");
  EXPECT_EQ(d.max_retries, 5);                    // BATCH (level 2)
  EXPECT_DOUBLE_EQ(d.retry_delay_seconds, 0.25);  // level 3 over level 2
  EXPECT_EQ(d.profile, "BATCH");
  const SubPolicy t = ResolveDeclared(declared, "Table");
  EXPECT_EQ(t.max_retries, 3);                 // level 4's key over its profile
  EXPECT_DOUBLE_EQ(t.retry_delay_seconds, 0);  // FAST over level 3
  const SubPolicy o = ResolveDeclared(declared, "Own");
  EXPECT_EQ(o.max_retries, 1);  // DEBUG (level 5) over BATCH (level 4)
  EXPECT_FALSE(o.enable_dlq);
  const SubPolicy e = ResolveDeclared(declared, "Explicit");
  EXPECT_EQ(e.max_retries, 7);                   // level 6
  EXPECT_DOUBLE_EQ(e.retry_delay_seconds, 0.5);  // CAREFUL's own key
  EXPECT_EQ(e.messages_per_tick, 100);           // inherited from PRODUCTION
}

TEST(OracleResolutionTest, EventStoreSubscriptionsHaveNoDlq) {
  const json declared = json::parse(R"({"server": {}, "handlers": {"P": {"stream": "account",
      "subscription_profile": "PROJECTION", "subscription_config": {"dlq_alert_threshold": 3}}}})");
  const SubPolicy p = ResolveDeclared(declared, "P");
  EXPECT_TRUE(p.event_store);
  EXPECT_FALSE(p.enable_dlq);
  EXPECT_FALSE(p.dlq_alert_threshold.has_value());
}

TEST(OracleDelayTest, FixedLinearExponentialCapsAndJitter) {
  SubPolicy p;
  p.retry_delay_seconds = 0.5;
  EXPECT_EQ(ExpectedRetryDelay(p, 3).center_us, 500'000);
  p.backoff = Backoff::kLinear;
  p.backoff_max_seconds = 1.2;
  EXPECT_EQ(ExpectedRetryDelay(p, 2).center_us, 1'000'000);
  EXPECT_EQ(ExpectedRetryDelay(p, 3).center_us, 1'200'000);
  p.backoff = Backoff::kExponential;
  p.backoff_max_seconds = 60;
  EXPECT_EQ(ExpectedRetryDelay(p, 4).center_us, 4'000'000);
  p.jitter = 0.25;
  EXPECT_EQ(ExpectedRetryDelay(p, 1).lo_us, 375'000 - 1);
  EXPECT_EQ(ExpectedRetryDelay(p, 1).hi_us, 625'000 + 1);
  EXPECT_EQ(internal::RetryBacklogCap(p), 100);
  p.messages_per_tick = 25;
  EXPECT_EQ(internal::RetryBacklogCap(p), 250);
}

// --- checkers over a declared header ------------------------------------------------

// A builder whose header declares `handlers` (and `server`), as the runner writes it.
HistoryBuilder Declared(const json& handlers, const json& server = json::object()) {
  HistoryBuilder b;
  for (const auto& [name, h] : handlers.items()) {
    b.StreamSub(name, h["stream"].get<std::string>());
  }
  b.Header("declared", {{"server", server}, {"handlers", handlers}});
  return b;
}

TEST(OracleCheckersTest, BackoffFollowsTheDeclarationNotTheResolvedHeader) {
  // The resolved header says fixed 1 s; the scenario declared 2 s.
  const json handlers = {
      {"Billing", {{"stream", "orders"}, {"subscription_config", {{"retry_delay_seconds", 2}}}}}};
  History h = Declared(handlers)
                  .Start("w0")
                  .Publish("m1")
                  .Deliver("w0", "Billing", "m1")
                  .Attempt("w0", "Billing", "m1", 1, "failed")
                  .Retry("w0", "Billing", "m1", 1, 1000)
                  .Build();
  EXPECT_FAILS_WITH(CheckBackoff(h), "waits 1.000s, declared [2.000s, 2.000s]");
}

TEST(OracleCheckersTest, DeclaredJitterMustShow) {
  const json handlers = {
      {"Billing", {{"stream", "orders"}, {"subscription_config", {{"retry_jitter", 0.5}}}}}};
  HistoryBuilder b = Declared(handlers);
  b.Start("w0");
  for (const char* id : {"m1", "m2", "m3"}) {
    b.Publish(id).Deliver("w0", "Billing", id).Attempt("w0", "Billing", id, 1, "failed");
    b.Retry("w0", "Billing", id, 1, 1000);  // exactly the un-jittered delay, each time
  }
  EXPECT_FAILS_WITH(CheckBackoff(b.Build()), "retry_jitter 0.500000 declared, but all 3 retries");
}

TEST(OracleCheckersTest, TheRetryBacklogStaysWithinTheCap) {
  const json handlers = {
      {"Indexer", {{"stream", "docs"}, {"subscription_config", {{"messages_per_tick", 1}}}}}};
  HistoryBuilder b = Declared(handlers);
  b.Start("w0");
  for (int i = 0; i < 110; ++i) {
    const std::string id = "m" + std::to_string(i);
    b.Publish(id, "docs")
        .Attempt("w0", "Indexer", id, 1, "failed")
        .Retry("w0", "Indexer", id, 1, 1000);
  }
  EXPECT_FAILS_WITH(CheckRetryBacklog(b.Build()),
                    "110 retries waiting at once; the backlog cap 100 allows at most 103");
}

// DLQ maintenance every second from w0's start at 0; threshold 2 unless the
// handlers say otherwise.
HistoryBuilder Maintained(const json& handlers) {
  const json server = {
      {"dlq", {{"enabled", true}, {"alert_threshold", 2}, {"check_interval_seconds", 1}}}};
  HistoryBuilder b = Declared(handlers, server);
  b.Start("w0").Publish("m1").Publish("m2").At(100);
  b.DlqMoved("w0", "Billing", "m1", 3).DlqMoved("w0", "Billing", "m2", 3);
  return b;
}

const json kBilling = {{"Billing", {{"stream", "orders"}}}};

TEST(OracleCheckersTest, OneAlertPerCycleWhileAtOrAboveTheThreshold) {
  EXPECT_PASSES(CheckDlqAlerts(Maintained(kBilling)
                                   .At(1000)
                                   .DlqAlert("w0", "orders:dlq", 2, 2)
                                   .At(2000)
                                   .DlqAlert("w0", "orders:dlq", 2, 2)
                                   .At(2500)
                                   .Build()));
  EXPECT_FAILS_WITH(
      CheckDlqAlerts(
          Maintained(kBilling).At(1000).DlqAlert("w0", "orders:dlq", 2, 2).At(2500).Build()),
      "0 alert(s) for orders:dlq in the maintenance cycle at +2.000s");
  EXPECT_FAILS_WITH(CheckDlqAlerts(Maintained(kBilling)
                                       .At(1000)
                                       .DlqAlert("w0", "orders:dlq", 2, 2)
                                       .DlqAlert("w0", "orders:dlq", 2, 2)
                                       .At(1500)
                                       .Build()),
                    "a second alert for orders:dlq");
}

TEST(OracleCheckersTest, AlertsOutsideCyclesOrWithWrongValuesFail) {
  EXPECT_FAILS_WITH(
      CheckDlqAlerts(
          Maintained(kBilling).At(700).DlqAlert("w0", "orders:dlq", 2, 2).At(900).Build()),
      "outside the maintenance cycles");
  EXPECT_FAILS_WITH(
      CheckDlqAlerts(
          Maintained(kBilling).At(1000).DlqAlert("w0", "orders:dlq", 9, 2).At(1500).Build()),
      "says depth 9; the history's moves allow 0..2");
}

TEST(OracleCheckersTest, HandlersSharingADlqStreamShareOneThreshold) {
  const json shared = {
      {"Billing", {{"stream", "orders"}, {"subscription_config", {{"dlq_alert_threshold", 5}}}}},
      {"Audit", {{"stream", "orders"}}}};  // the server's 2: the lowest wins
  EXPECT_PASSES(CheckDlqAlerts(
      Maintained(shared).At(1000).DlqAlert("w0", "orders:dlq", 2, 2).At(1500).Build()));
  EXPECT_FAILS_WITH(
      CheckDlqAlerts(
          Maintained(shared).At(1000).DlqAlert("w0", "orders:dlq", 2, 5).At(1500).Build()),
      "with threshold 5; declared 2");
}

TEST(OracleCheckersTest, NoAlertsWhenTheDlqIsNotEnabled) {
  History h = Declared(kBilling).Start("w0").At(1000).DlqAlert("w0", "orders:dlq", 1, 1).Build();
  EXPECT_FAILS_WITH(CheckDlqAlerts(h), "although [server.dlq] enabled is not true");
}

// handler_call ledger entries, as the scripted handlers write them.
HistoryBuilder& Call(HistoryBuilder& b, const std::string& id, int64_t attempt,
                     const std::string& outcome, int64_t cost_ms) {
  return b.Msg("handler_call", "w0", "Billing", id, attempt,
               {{"outcome", outcome}, {"value", cost_ms * 1000}});
}

TEST(OracleCheckersTest, EachAttemptIsOneCallOfTheHandler) {
  HistoryBuilder once = Declared(kBilling);
  once.Start("w0").Publish("m1");
  Call(once, "m1", 1, "ok", 0).Attempt("w0", "Billing", "m1", 1, "ok");
  EXPECT_PASSES(CheckHandlerCalls(once.Build()));
  HistoryBuilder twice = Declared(kBilling);
  twice.Start("w0").Publish("m1");
  Call(twice, "m1", 1, "ok", 0);
  Call(twice, "m1", 1, "ok", 0).Attempt("w0", "Billing", "m1", 1, "ok");
  EXPECT_FAILS_WITH(CheckHandlerCalls(twice.Build()),
                    "the handler was called 2 time(s), the engine reported 1 attempt(s)");
}

TEST(OracleCheckersTest, OutcomesAndTimeoutsComeFromTheCalls) {
  const json timed = {
      {"Billing",
       {{"stream", "orders"}, {"subscription_config", {{"handler_timeout_seconds", 1}}}}}};
  HistoryBuilder over = Declared(timed);
  over.Start("w0").Publish("m1");
  Call(over, "m1", 1, "ok", 1500).Msg("attempt_started", "w0", "Billing", "m1", 1);
  over.At(1500).Msg("attempt_finished", "w0", "Billing", "m1", 1, {{"outcome", "ok"}});
  EXPECT_FAILS_WITH(CheckHandlerCalls(over.Build()),
                    "reported ok; the handler took 1500 ms, past its declared budget of 1000 ms");
  HistoryBuilder exact = Declared(timed);
  exact.Start("w0").Publish("m1");
  Call(exact, "m1", 1, "failed", 1000).Msg("attempt_started", "w0", "Billing", "m1", 1);
  exact.At(1000).Msg("attempt_finished", "w0", "Billing", "m1", 1, {{"outcome", "failed"}});
  EXPECT_PASSES(CheckHandlerCalls(exact.Build()));
  HistoryBuilder late = Declared(timed);
  late.Start("w0").Publish("m1");
  Call(late, "m1", 1, "ok", 2000).Msg("attempt_started", "w0", "Billing", "m1", 1);
  late.At(1200).Msg("attempt_finished", "w0", "Billing", "m1", 1, {{"outcome", "timeout"}});
  EXPECT_FAILS_WITH(
      CheckHandlerCalls(late.Build()),
      "ended 1200 ms after it started; the handler was due to time out after 1000 ms");
}

TEST(OracleCheckersTest, NothingCompletesAfterTheFlush) {
  History h = HistoryBuilder()
                  .StreamSub("Billing", "orders")
                  .Start("w0")
                  .Publish("m1")
                  .Deliver("w0", "Billing", "m1")
                  .Attempt("w0", "Billing", "m1")
                  .Signal("w0")
                  .Step("w0", "drain_done")
                  .Step("w0", "flushed")
                  .Acked("w0", "Billing", "m1")
                  .Step("w0", "close:event_store")
                  .Step("w0", "close:broker:default")
                  .Step("w0", "stopped")
                  .Build();
  EXPECT_FAILS_WITH(CheckDrain(h), "acked after the shutdown step flushed");
}

TEST(OracleCheckersTest, AnExhaustedClaimRecordsExactlyTheDeclaredAttempts) {
  History h = HistoryBuilder()
                  .StreamSub("Billing", "orders")
                  .Start("w0")
                  .Publish("m1")
                  .Claimed("w0", "Billing", "m1", 4)
                  .DlqMoved("w0", "Billing", "m1", 4, "attempts exhausted: delivered 4 times")
                  .Build();
  EXPECT_FAILS_WITH(CheckDlqIffExhausted(h), "exhausted at attempt 4 with max_retries 3");
}

}  // namespace
}  // namespace protean::harness
