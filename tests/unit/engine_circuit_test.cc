// The circuit breaker of stream subscriptions in memory mode (virtual time):
// it opens after the threshold, pauses reads and attempts without acking,
// dead-lettering or losing anything, keeps its entries from being claimed,
// probes with one message after the reset window and closes or re-opens;
// and retention trims the stream after each batch. Every rule here has a test
// that fails if the rule breaks.
#include <gtest/gtest.h>

#include "tests/unit/sim_world.h"

namespace protean {
namespace {

using testing::MakeHandler;
using testing::SimWorld;
using testing::StreamConfig;
using testing::Succeed;

// Fails every attempt that starts before `until` (a dependency that is down).
HandlerFn FailUntil(Clock* clock, TimePoint until) {
  return [clock, until](const Message&, HandlerContext&) {
    return clock->Now() < until ? Status::Internal("dependency down") : Status::Ok();
  };
}

SubscriptionConfig BreakerConfig(int64_t threshold, double reset_seconds) {
  SubscriptionConfig c = StreamConfig();
  c.circuit_breaker_threshold = threshold;
  c.circuit_breaker_reset_seconds = reset_seconds;
  return c;
}

class CircuitEngineTest : public ::testing::Test {
 protected:
  Engine& Start(HandlerRegistration h, SubscriptionConfig c, const std::string& instance = "a") {
    handlers_.push_back(std::make_unique<HandlerRegistration>(std::move(h)));
    Engine& e = w_.AddEngine(instance);
    EXPECT_TRUE(e.AddSubscription(*handlers_.back(), c).ok());
    e.Start();
    return e;
  }
  std::vector<std::string> Transitions() const {
    std::vector<std::string> out;
    for (const auto& e : w_.recorder.Of(EngineEventKind::kCircuitBreaker)) out.push_back(e.outcome);
    return out;
  }
  std::vector<EngineEvent> Circuit() const {
    return w_.recorder.Of(EngineEventKind::kCircuitBreaker);
  }
  size_t StartsBetween(TimePoint from, TimePoint to) const {
    size_t n = 0;
    for (const auto& e : w_.recorder.Of(EngineEventKind::kAttemptStarted)) {
      n += (e.at > from && e.at < to) ? 1 : 0;
    }
    return n;
  }
  double Gauge(const std::string& state) {
    return w_.metrics.Value(
        "protean_subscription_circuit_state",
        {{"subscription", "H-orders"}, {"handler", "H"}, {"stream", "orders"}, {"state", state}});
  }
  SimWorld w_;
  std::vector<std::unique_ptr<HandlerRegistration>> handlers_;
};

TEST_F(CircuitEngineTest, OpensPausesWithoutAckingProbesAndCloses) {
  for (int i = 0; i < 20; ++i) w_.Publish("orders");
  const TimePoint t0 = w_.clock.Now();
  Start(MakeHandler("H", "orders", FailUntil(&w_.clock, t0 + Seconds(5))), BreakerConfig(3, 10));
  w_.loop.RunFor(Seconds(5));
  // Three failures opened it at t0; the other fetched entries wait, held.
  ASSERT_EQ(Transitions(), (std::vector<std::string>{"opened"}));
  EXPECT_EQ(Circuit()[0].at, t0);
  EXPECT_EQ(Circuit()[0].value, 3);
  EXPECT_EQ(Circuit()[0].due, t0 + Seconds(10));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 3u);
  // Two batches fetched (the one handed to the lane and the one read ahead
  // while it ran), nothing acked.
  EXPECT_EQ(w_.PendingCount("orders", "H"), 20);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 0u);
  EXPECT_EQ(Gauge("open"), 1);
  EXPECT_EQ(Gauge("closed"), 0);
  w_.loop.RunFor(Seconds(30));
  ASSERT_EQ(Transitions(), (std::vector<std::string>{"opened", "half_open", "closed"}));
  EXPECT_EQ(StartsBetween(t0, t0 + Seconds(10)), 0u);  // nothing ran while OPEN
  EXPECT_EQ(Circuit()[1].at, t0 + Seconds(10));
  EXPECT_EQ(Circuit()[2].at, t0 + Seconds(10));  // the probe succeeded at once
  // Everything handled, nothing dead-lettered or lost; the three that failed
  // ran once more (their second attempt), the rest once.
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 20u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 23u);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
  EXPECT_EQ(Gauge("closed"), 1);
  EXPECT_EQ(Gauge("open"), 0);
  EXPECT_EQ(Gauge("half_open"), 0);
  const MetricLabels opened = {
      {"subscription", "H-orders"}, {"handler", "H"}, {"stream", "orders"}, {"state", "opened"}};
  EXPECT_EQ(w_.metrics.Value("protean_subscription_circuit_breaker_state", opened), 1);
  bool logged = false;
  for (const std::string& line : w_.log) {
    logged = logged || line.find("subscription.circuit_breaker.opened") != std::string::npos;
  }
  EXPECT_TRUE(logged);
}

TEST_F(CircuitEngineTest, OnlyOneProbeRunsAndAFailingProbeReopens) {
  for (int i = 0; i < 10; ++i) w_.Publish("orders");
  const TimePoint t0 = w_.clock.Now();
  SubscriptionConfig c = BreakerConfig(3, 10);
  c.max_retries = 5;
  Start(MakeHandler("H", "orders", FailUntil(&w_.clock, t0 + Seconds(25))), c);
  w_.loop.RunFor(Seconds(60));
  ASSERT_EQ(Transitions(), (std::vector<std::string>{"opened", "half_open", "opened", "half_open",
                                                     "opened", "half_open", "closed"}));
  const auto ev = Circuit();
  EXPECT_EQ(ev[1].at, t0 + Seconds(10));
  EXPECT_EQ(ev[2].at, t0 + Seconds(10));
  EXPECT_EQ(ev[2].due, t0 + Seconds(20));  // the window restarts
  EXPECT_EQ(ev[4].at, t0 + Seconds(20));
  EXPECT_EQ(ev[6].at, t0 + Seconds(30));
  // 3 at t0, one probe at 10, 20 and 30, then the rest.
  EXPECT_EQ(StartsBetween(t0, t0 + Seconds(30)), 2u);  // the probes at 10 and 20 (exclusive ends)
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 10u);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
}

TEST_F(CircuitEngineTest, AFlappingHandlerBelowTheThresholdNeverOpens) {
  for (int i = 0; i < 30; ++i) w_.Publish("orders");
  int calls = 0;
  // fail, fail, ok, fail, fail, ok, ...: two in a row at most.
  Start(MakeHandler("H", "orders",
                    [&calls](const Message&, HandlerContext&) {
                      return ++calls % 3 == 0 ? Status::Ok() : Status::Internal("flap");
                    }),
        BreakerConfig(3, 10));
  w_.loop.RunFor(Seconds(120));
  EXPECT_TRUE(Transitions().empty());
  EXPECT_EQ(
      w_.recorder.Count(EngineEventKind::kAcked) + w_.recorder.Count(EngineEventKind::kDlqMoved),
      30u);
}

TEST_F(CircuitEngineTest, RetriesAndDlqPerMessageStayCorrect) {
  // Always failing, max_retries 3: every message still gets exactly three
  // attempts and then the DLQ; the pauses only delay them.
  for (int i = 0; i < 4; ++i) w_.Publish("orders");
  Start(MakeHandler("H", "orders", testing::AlwaysFail()), BreakerConfig(2, 5));
  w_.loop.RunFor(Seconds(300));
  EXPECT_EQ(w_.DlqDepth("orders"), 4);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 12u);
  std::map<std::string, int64_t> attempts;
  for (const auto& e : w_.recorder.Of(EngineEventKind::kDlqMoved)) attempts[e.entry_id] = e.attempt;
  ASSERT_EQ(attempts.size(), 4u);
  for (const auto& [id, n] : attempts) EXPECT_EQ(n, 3) << id;
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  // One probe at a time: after each half_open at most one attempt starts
  // before the next transition (none after the last, with nothing left).
  const auto& all = w_.recorder.events;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].kind != EngineEventKind::kCircuitBreaker || all[i].outcome != "half_open") continue;
    size_t started = 0;
    for (size_t j = i + 1; j < all.size() && all[j].kind != EngineEventKind::kCircuitBreaker; ++j) {
      started += all[j].kind == EngineEventKind::kAttemptStarted ? 1 : 0;
    }
    EXPECT_LE(started, 1u) << "after the half_open at event " << i;
  }
}

TEST_F(CircuitEngineTest, AnOpenBreakerKeepsItsEntriesFromBeingClaimed) {
  for (int i = 0; i < 10; ++i) w_.Publish("orders");
  const TimePoint t0 = w_.clock.Now();
  SubscriptionConfig c = BreakerConfig(3, 60);
  c.claim_idle_seconds = 4;  // much shorter than the pause
  Start(MakeHandler("H", "orders", FailUntil(&w_.clock, t0 + Seconds(30))), c, "a");
  w_.loop.RunFor(Millis(1));
  Start(MakeHandler("H", "orders", Succeed()), c, "b");
  w_.loop.RunFor(Seconds(50));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kClaimed), 0u);  // a heart-beats what it holds
  EXPECT_EQ(w_.PendingCount("orders", "H"), 10);
  w_.loop.RunFor(Seconds(30));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 10u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kClaimed), 0u);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
}

TEST_F(CircuitEngineTest, ShutdownWhileOpenLeavesEverythingPending) {
  for (int i = 0; i < 10; ++i) w_.Publish("orders");
  Engine& e = Start(MakeHandler("H", "orders", testing::AlwaysFail()), BreakerConfig(3, 60));
  w_.loop.RunFor(Seconds(5));
  ASSERT_EQ(Transitions(), (std::vector<std::string>{"opened"}));
  bool stopped = false;
  e.Shutdown("test", [&stopped](int) { stopped = true; });
  w_.loop.RunFor(Seconds(15));
  EXPECT_TRUE(stopped);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 10);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
}

// --- retention ---------------------------------------------------------------

void PublishEvery(SimWorld& w, int n, Duration every) {
  for (int i = 0; i < n; ++i) {
    w.loop.PostAfter(every * i, [&w] { w.Publish("orders"); });
  }
}

TEST_F(CircuitEngineTest, RetentionCapsAStreamWithOneGroup) {
  SubscriptionConfig c = StreamConfig();
  c.retention_maxlen = 5;
  Start(MakeHandler("H", "orders", Succeed()), c);
  PublishEvery(w_, 30, Millis(100));  // the consumer keeps up
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 30u);
  auto len = w_.broker.Length("orders");
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(*len, 5);
  const auto trims = w_.recorder.Of(EngineEventKind::kStreamTrimmed);
  ASSERT_FALSE(trims.empty());
  int64_t removed = 0;
  for (const auto& t : trims) {
    EXPECT_EQ(t.detail, "maxlen 5");
    removed += t.value;
  }
  EXPECT_EQ(removed, 25);
}

TEST_F(CircuitEngineTest, RetentionWithOneGroupIsACeilingThatDropsABacklogBeyondIt) {
  // Protean's documented MAXLEN semantics (adapters/broker/redis.py:734-741):
  // with one reader, a backlog longer than retention_maxlen loses its oldest
  // unread entries at the first trim.
  for (int i = 0; i < 30; ++i) w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.retention_maxlen = 5;
  Start(MakeHandler("H", "orders", Succeed()), c);
  w_.loop.RunFor(Seconds(5));
  EXPECT_LT(w_.recorder.Count(EngineEventKind::kAcked), 30u);
  EXPECT_GE(w_.recorder.Count(EngineEventKind::kAcked), 10u);  // the first batch
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
}

TEST_F(CircuitEngineTest, RetentionNeverDropsWhatASlowGroupHasNotHandled) {
  SubscriptionConfig fast = StreamConfig();
  fast.retention_maxlen = 2;
  SubscriptionConfig slow = StreamConfig();
  slow.max_retries = 3;
  slow.circuit_breaker_threshold = 1000;  // first attempts all fail: no pause here
  Start(MakeHandler("Fast", "orders", Succeed()), fast);
  // The slow group fails each message's first attempt and takes its time:
  // its entries wait unread or pending for a retry while the fast one trims.
  Start(MakeHandler("Slow", "orders", testing::Taking(Millis(300), testing::FailFirst(1))), slow,
        "b");
  PublishEvery(w_, 40, Millis(500));
  w_.loop.RunFor(Seconds(60));
  size_t slow_ok = 0;
  for (const auto& e : w_.recorder.Of(EngineEventKind::kAttemptFinished)) {
    slow_ok += e.subscription == "Slow" && e.outcome == "ok" ? 1 : 0;
  }
  EXPECT_EQ(slow_ok, 40u);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
  const auto trims = w_.recorder.Of(EngineEventKind::kStreamTrimmed);
  ASSERT_FALSE(trims.empty()) << w_.recorder.History();
  for (const auto& t : trims) EXPECT_EQ(t.detail.rfind("minid ", 0), 0u) << t.detail;
}

}  // namespace
}  // namespace protean
