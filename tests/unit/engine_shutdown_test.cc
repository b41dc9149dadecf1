// Graceful shutdown, drain bound, close order and health probes.
#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/unit/sim_world.h"

namespace protean {
namespace {

using testing::MakeHandler;
using testing::SimWorld;
using testing::StreamConfig;
using testing::Succeed;
using testing::Taking;

class ShutdownTest : public ::testing::Test {
 protected:
  Engine& Start(HandlerFn fn, SubscriptionConfig c = StreamConfig(), EngineOptions o = {}) {
    handler_ = MakeHandler("H", "orders", std::move(fn));
    Engine& e = w_.AddEngine("a", o);
    EXPECT_TRUE(e.AddSubscription(handler_, c).ok());
    e.Start();
    return e;
  }
  SimWorld w_;
  HandlerRegistration handler_;
};

TEST_F(ShutdownTest, DrainsInFlightWorkThenClosesAdaptersInReverseOrder) {
  for (int i = 0; i < 3; ++i) w_.Publish("orders");
  const TimePoint t0 = w_.clock.Now();
  Engine& e = Start(Taking(Seconds(3)));
  w_.loop.RunFor(Seconds(1));  // first message in flight, two more fetched
  int exit_code = -1;
  e.Shutdown("SIGTERM", [&](int code) { exit_code = code; });
  // Readiness turns at once, before anything else happens.
  EXPECT_EQ(e.state(), Engine::State::kDraining);
  HealthResponse ready = e.Ready();
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.body, R"({"status":"unavailable","checks":{"shutting_down":true}})");
  EXPECT_EQ(e.Live().status, 200);
  w_.loop.RunFor(Seconds(20));
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(e.state(), Engine::State::kStopped);
  EXPECT_EQ(w_.recorder.Steps(),
            (std::vector<std::string>{"signal:SIGTERM", "stop_fetching", "drain_done", "flushed",
                                      "close:event_store", "close:broker:default",
                                      "close:cache:default", "close:database:default", "stopped"}));
  auto steps = w_.recorder.Of(EngineEventKind::kShutdownStep);
  EXPECT_EQ(steps[0].at, t0 + Seconds(1));
  EXPECT_EQ(steps[2].at, t0 + Seconds(3));  // the in-flight handler finished
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 1u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 1u);
  // The two fetched but never attempted stay pending for another consumer.
  EXPECT_EQ(w_.PendingCount("orders", "H"), 2);
  auto readiness = w_.recorder.Of(EngineEventKind::kReadiness);
  ASSERT_EQ(readiness.size(), 2u);
  EXPECT_EQ(readiness[1].outcome, "draining");
  EXPECT_EQ(readiness[1].at, t0 + Seconds(1));
}

// POST /drainz: the running attempt finishes and is acked, nothing more is
// fetched or attempted, readiness is 503 while liveness stays 200, and the
// engine keeps running until a Shutdown, which then has nothing to wait for.
TEST_F(ShutdownTest, RequestedDrainFinishesInFlightWorkAndStaysUp) {
  for (int i = 0; i < 3; ++i) w_.Publish("orders");
  Engine& e = Start(Taking(Seconds(3)));
  w_.loop.RunFor(Seconds(1));  // first message in flight, two more fetched
  EXPECT_FALSE(e.drain_progress().requested);
  e.RequestDrain();
  e.RequestDrain();  // idempotent
  EXPECT_EQ(e.Ready().status, 503);
  EXPECT_NE(e.Ready().body.find(R"("draining":true)"), std::string::npos);
  EXPECT_EQ(e.drain_progress().idle, 0u);
  w_.loop.RunFor(Seconds(30));
  EXPECT_EQ(e.state(), Engine::State::kRunning);
  EXPECT_EQ(e.Live().status, 200);
  EXPECT_EQ(e.Ready().status, 503);
  const Engine::DrainProgress p = e.drain_progress();
  EXPECT_TRUE(p.requested && p.done()) << p.idle << "/" << p.subscriptions;
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 1u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 1u);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 2);  // given back, claimable by the new deployment
  w_.Publish("orders");
  w_.loop.RunFor(Seconds(5));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDelivered), 3u) << "no fetch after the drain";
  int exit_code = -1;
  e.Shutdown("SIGTERM", [&](int code) { exit_code = code; });
  w_.loop.RunFor(Seconds(5));
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(e.state(), Engine::State::kStopped);
}

TEST_F(ShutdownTest, DrainIsBoundedAndUnfinishedMessagesStayPending) {
  w_.Publish("orders");
  const TimePoint t0 = w_.clock.Now();
  EngineOptions o;
  o.drain_timeout = Seconds(10);
  Engine& e = Start(Taking(Seconds(30)), StreamConfig(), o);
  w_.loop.RunFor(Seconds(1));
  e.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(60));
  auto steps = w_.recorder.Of(EngineEventKind::kShutdownStep);
  ASSERT_GE(steps.size(), 3u);
  EXPECT_EQ(steps[2].detail, "drain_timeout:1");
  EXPECT_EQ(steps[2].at, t0 + Seconds(11));
  EXPECT_EQ(e.state(), Engine::State::kStopped);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 0u);  // late completion ignored
  EXPECT_EQ(w_.PendingCount("orders", "H"), 1);
}

TEST_F(ShutdownTest, RetryTimersStopAndTheMessageStaysPending) {
  w_.Publish("orders");
  Engine& e = Start(testing::AlwaysFail());
  w_.loop.RunFor(Millis(500));  // attempt 1 failed, retry due at 1 s
  e.Shutdown("SIGINT");
  w_.loop.RunFor(Seconds(30));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 1u);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 1);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
}

TEST_F(ShutdownTest, ShutdownIsIdempotent) {
  Engine& e = Start(Succeed());
  int calls = 0;
  e.Shutdown("SIGTERM", [&](int) { ++calls; });
  e.Shutdown("SIGTERM", [&](int) { ++calls; });
  w_.loop.RunFor(Seconds(1));
  e.Shutdown("SIGHUP", [&](int) { ++calls; });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(w_.recorder.Steps().front(), "signal:SIGTERM");
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kShutdownStep), 9u);
}

class ThrowingCloseBroker : public BrokerWrapper {
 public:
  using BrokerWrapper::BrokerWrapper;
  void Close() override { throw std::runtime_error("socket already gone"); }
};

TEST_F(ShutdownTest, EachCloseIsIsolated) {
  ThrowingCloseBroker broker(&w_.broker);
  Engine e(w_.loop, w_.prng, w_.metrics, w_.AdaptersFor(&broker), EngineOptions{}, &w_.recorder);
  e.Start();
  int exit_code = -1;
  e.Shutdown("SIGTERM", [&](int c) { exit_code = c; });
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(exit_code, 1);
  EXPECT_EQ(w_.recorder.Steps(),
            (std::vector<std::string>{"signal:SIGTERM", "stop_fetching", "drain_done", "flushed",
                                      "close:event_store", "close:broker:default:failed",
                                      "close:cache:default", "close:database:default", "stopped"}));
}

class DownBroker : public BrokerWrapper {
 public:
  using BrokerWrapper::BrokerWrapper;
  Status Ping() override { return Status::Unavailable("connection refused"); }
};

TEST_F(ShutdownTest, ReadinessIsDegradedWhenAnAdapterIsDown) {
  Engine& ok = Start(Succeed());
  HealthResponse r = ok.Ready();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("status":"ok")"), std::string::npos);
  DownBroker down(&w_.broker);
  Engine bad(w_.loop, w_.prng, w_.metrics, w_.AdaptersFor(&down), EngineOptions{}, nullptr);
  bad.Start();
  w_.loop.RunFor(Millis(1));  // the first readiness refresh: pings run off the loop
  HealthResponse d = bad.Ready();
  EXPECT_EQ(d.status, 503);
  EXPECT_NE(d.body.find(R"("status":"degraded")"), std::string::npos);
  EXPECT_NE(d.body.find("connection refused"), std::string::npos);
}

TEST_F(ShutdownTest, EngineUpGaugeFollowsTheState) {
  Engine& e = Start(Succeed());
  EXPECT_EQ(w_.metrics.Value("protean_engine_up"), 1);
  EXPECT_EQ(w_.metrics.Value("protean_engine_active_subscriptions"), 1);
  e.Shutdown("SIGTERM");
  EXPECT_EQ(w_.metrics.Value("protean_engine_up"), 0);
  const std::string text = w_.metrics.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE protean_engine_up gauge\nprotean_engine_up 0\n"), std::string::npos);
  EXPECT_NE(text.find("protean_subscription_processing_duration_seconds_bucket"),
            std::string::npos);
}

// A second signal during the drain cuts it short, as the timeout would: the
// running attempt is abandoned (its message stays pending), and the stop is
// a forced one (exit code 1).
TEST_F(ShutdownTest, CutDrainEndsTheDrainNowAndLeavesTheMessagePending) {
  w_.Publish("orders");
  Engine& e = Start(Taking(Seconds(30)));
  w_.loop.RunFor(Seconds(1));
  int exit_code = -1;
  e.Shutdown("SIGTERM", [&](int code) { exit_code = code; });
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(exit_code, -1) << "still draining";
  e.CutDrain();
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(exit_code, 1);
  std::vector<std::string> steps = w_.recorder.Steps();
  ASSERT_GE(steps.size(), 3u);
  EXPECT_EQ(steps[2], "drain_cut:1");
  EXPECT_EQ(w_.PendingCount("orders", "H"), 1);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 0u);
}

class HangingCloseBroker : public BrokerWrapper {
 public:
  using BrokerWrapper::BrokerWrapper;
  void Close() override { ChargeWorkCost(Seconds(60)); }  // takes a minute (simulated)
};

TEST_F(ShutdownTest, ACloseThatHangsIsCutByTheCloseBudgetAndTheNextOneCloses) {
  HangingCloseBroker broker(&w_.broker);
  EngineOptions options;
  options.close_timeout = Seconds(2);
  Engine e(w_.loop, w_.prng, w_.metrics, w_.AdaptersFor(&broker), options, &w_.recorder);
  e.Start();
  int exit_code = -1;
  e.Shutdown("SIGTERM", [&](int c) { exit_code = c; });
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(exit_code, 1);
  EXPECT_EQ(w_.recorder.Steps(),
            (std::vector<std::string>{"signal:SIGTERM", "stop_fetching", "drain_done", "flushed",
                                      "close:event_store", "close:broker:default:timeout",
                                      "close:cache:default", "close:database:default", "stopped"}));
}

}  // namespace
}  // namespace protean
