// Priority lanes in memory mode ([server.priority_lanes], Protean's
// server/subscription/stream_subscription.py:182-186,333-384,909-938): the
// backfill lane `{stream}:backfill` is read only when a read of the primary
// returned nothing, through the same group; its retries, DLQ
// (`{stream}:backfill:dlq`), acks and claims act on the lane's own stream.
// Both lanes hand out the same entry ids (the memory broker's ids are
// `<ms>-<seq>` as Redis's), so each test also shows the lanes kept apart.
#include <set>

#include <gtest/gtest.h>

#include "core/config/priority_lanes.h"
#include "tests/unit/sim_world.h"

namespace protean {
namespace {

using testing::AlwaysFail;
using testing::FailFirst;
using testing::MakeHandler;
using testing::SimWorld;
using testing::StreamConfig;
using testing::Succeed;
using testing::Taking;

constexpr const char* kBackfill = "orders:backfill";

EngineOptions Lanes(bool enabled = true) {
  EngineOptions o;
  o.priority_lanes.enabled = enabled;
  return o;
}

class LanesEngineTest : public ::testing::Test {
 protected:
  Engine& Start(HandlerRegistration h, SubscriptionConfig c, const std::string& instance = "a",
                EngineOptions o = Lanes()) {
    handlers_.push_back(std::make_unique<HandlerRegistration>(std::move(h)));
    Engine& e = w_.AddEngine(instance, o);
    EXPECT_TRUE(e.AddSubscription(*handlers_.back(), c).ok());
    e.Start();
    return e;
  }
  // The streams of the attempts started, in order.
  std::vector<std::string> AttemptStreams() const {
    std::vector<std::string> out;
    for (const auto& e : w_.recorder.Of(EngineEventKind::kAttemptStarted)) out.push_back(e.stream);
    return out;
  }
  SimWorld w_;
  std::vector<std::unique_ptr<HandlerRegistration>> handlers_;
};

TEST_F(LanesEngineTest, ThePrimaryIsDrainedBeforeTheBackfillLane) {
  for (int i = 0; i < 6; ++i) w_.Publish(kBackfill);
  for (int i = 0; i < 6; ++i) w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.messages_per_tick = 2;
  Start(MakeHandler("H", "orders", Taking(Millis(10))), c);
  w_.loop.RunFor(Seconds(5));
  const std::vector<std::string> want = {"orders",  "orders",  "orders",  "orders",
                                         "orders",  "orders",  kBackfill, kBackfill,
                                         kBackfill, kBackfill, kBackfill, kBackfill};
  EXPECT_EQ(AttemptStreams(), want);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 12u);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(w_.PendingCount(kBackfill, "H"), 0);
}

TEST_F(LanesEngineTest, APrimaryMessageArrivingDuringTheBackfillIsReadNext) {
  for (int i = 0; i < 20; ++i) w_.Publish(kBackfill);
  SubscriptionConfig c = StreamConfig();
  c.messages_per_tick = 2;
  Start(MakeHandler("H", "orders", Taking(Millis(100))), c);
  w_.loop.RunFor(Millis(450));
  const TimePoint published = w_.clock.Now();
  const std::string urgent = w_.Publish("orders");
  w_.loop.RunFor(Seconds(10));
  // The next read after the publish takes it: no backfill entry is
  // delivered between its publish and its delivery.
  bool seen = false;
  for (const auto& e : w_.recorder.Of(EngineEventKind::kDelivered)) {
    if (e.at < published) continue;
    if (e.message_id == urgent) {
      seen = true;
      break;
    }
    ADD_FAILURE() << "backfill entry " << e.entry_id << " delivered before the primary message";
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 21u);
}

TEST_F(LanesEngineTest, QueuedPrimaryEntriesRunBeforeQueuedBackfillOnes) {
  // a reads the two backfill entries and dies holding them.
  const std::string b1 = w_.Publish(kBackfill), b2 = w_.Publish(kBackfill);
  SubscriptionConfig c = StreamConfig();
  c.claim_idle_seconds = 10;
  c.messages_per_tick = 4;
  auto fn = [](const Message&, HandlerContext& ctx) {
    ctx.cost = ctx.consumer == "H-a" ? Seconds(100) : Seconds(5);
    return Status::Ok();
  };
  Engine& a = Start(MakeHandler("H", "orders", fn), c, "a");
  w_.loop.RunFor(Seconds(1));
  a.Crash();
  // b: four primary entries run 1-21 s, two more wait, read one batch ahead;
  // the claim (at 10 s idle) queues b1 and b2 meanwhile. Claimed entries go
  // before fetched ones, but primary entries before backfill ones.
  std::vector<std::string> primary;
  for (int i = 0; i < 6; ++i) primary.push_back(w_.Publish("orders"));
  Start(MakeHandler("H", "orders", fn), c, "b");
  w_.loop.RunFor(Seconds(60));
  std::vector<std::string> order;
  for (const auto& e : w_.recorder.Of(EngineEventKind::kAttemptStarted, "b")) {
    order.push_back(e.message_id);
  }
  primary.insert(primary.end(), {b1, b2});
  EXPECT_EQ(order, primary);
  EXPECT_EQ(w_.recorder.Of(EngineEventKind::kClaimed, "b").size(), 2u);
}

TEST_F(LanesEngineTest, TheBackfillLaneIsReadWhenThePrimaryIsIdle) {
  Start(MakeHandler("H", "orders", Succeed()), StreamConfig());
  w_.loop.RunFor(Seconds(1));
  const std::string id = w_.Publish(kBackfill);
  w_.loop.RunFor(Seconds(1));
  auto acked = w_.recorder.Of(EngineEventKind::kAcked);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].message_id, id);
  EXPECT_EQ(acked[0].stream, kBackfill);
  EXPECT_EQ(w_.PendingCount(kBackfill, "H"), 0);
}

TEST_F(LanesEngineTest, WithoutLanesTheBackfillStreamIsNotRead) {
  w_.Publish(kBackfill);
  w_.Publish("orders");
  Start(MakeHandler("H", "orders", Succeed()), StreamConfig(), "a", Lanes(false));
  w_.loop.RunFor(Seconds(2));
  EXPECT_EQ(AttemptStreams(), std::vector<std::string>{"orders"});
}

TEST_F(LanesEngineTest, ABackfillEntryThatRunsOutGoesToTheBackfillDlq) {
  const std::string id = w_.Publish(kBackfill);
  Start(MakeHandler("H", "orders", AlwaysFail()), StreamConfig());
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(AttemptStreams(), (std::vector<std::string>{kBackfill, kBackfill, kBackfill}));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRetryScheduled), 2u);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
  auto list = w_.broker.DlqList("orders:backfill:dlq", 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].metadata.original_stream, kBackfill);
  EXPECT_EQ((*list)[0].metadata.consumer_group, "H");
  EXPECT_EQ((*list)[0].metadata.attempts, 3);
  EXPECT_EQ(MessageIdOf((*list)[0].fields), id);
  EXPECT_EQ(w_.PendingCount(kBackfill, "H"), 0);
  auto moved = w_.recorder.Of(EngineEventKind::kDlqMoved);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].stream, kBackfill);
  EXPECT_EQ(moved[0].entry_id, (*list)[0].metadata.original_id);
}

TEST_F(LanesEngineTest, EntriesWithTheSameIdInBothLanesAreKeptApart) {
  // Published at the same instant: both lanes give them the same id.
  const std::string primary = w_.Publish("orders");
  const std::string backfill = w_.Publish(kBackfill);
  Start(MakeHandler("H", "orders", FailFirst(1)), StreamConfig());
  w_.loop.RunFor(Seconds(10));
  auto acked = w_.recorder.Of(EngineEventKind::kAcked);
  ASSERT_EQ(acked.size(), 2u);
  EXPECT_EQ(acked[0].entry_id, acked[1].entry_id);  // the same id ...
  std::set<std::pair<std::string, std::string>> got;
  for (const auto& e : acked) got.insert({e.stream, e.message_id});
  EXPECT_EQ(got, (std::set<std::pair<std::string, std::string>>{{"orders", primary},
                                                                {kBackfill, backfill}}));
  // ... each retried once, as its own entry.
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRetryScheduled), 2u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 4u);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(w_.PendingCount(kBackfill, "H"), 0);
}

TEST_F(LanesEngineTest, ALiveConsumerClaimsBackfillEntriesOfACrashedOne) {
  const std::string id = w_.Publish(kBackfill);
  SubscriptionConfig c = StreamConfig();
  c.claim_idle_seconds = 10;
  auto fn = [](const Message&, HandlerContext& ctx) {
    if (ctx.consumer == "H-a") ctx.cost = Seconds(100);
    return Status::Ok();
  };
  Engine& a = Start(MakeHandler("H", "orders", fn), c, "a");
  w_.loop.RunFor(Seconds(1));
  a.Crash();
  Start(MakeHandler("H", "orders", fn), c, "b");
  w_.loop.RunFor(Seconds(30));
  auto claimed = w_.recorder.Of(EngineEventKind::kClaimed, "b");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].message_id, id);
  EXPECT_EQ(claimed[0].stream, kBackfill);
  EXPECT_EQ(claimed[0].attempt, 2);
  EXPECT_EQ(w_.recorder.Of(EngineEventKind::kAcked, "b").size(), 1u);
  EXPECT_EQ(w_.PendingCount(kBackfill, "H"), 0);
}

TEST_F(LanesEngineTest, AStopReleasesUnattemptedBackfillEntries) {
  for (int i = 0; i < 5; ++i) w_.Publish(kBackfill);
  SubscriptionConfig c = StreamConfig();
  c.messages_per_tick = 5;
  Engine& a = Start(MakeHandler("H", "orders", Taking(Seconds(1))), c);
  w_.loop.RunFor(Millis(500));
  int exit_code = -1;
  a.Shutdown("SIGTERM", [&](int code) { exit_code = code; });
  w_.loop.RunFor(Seconds(20));
  EXPECT_EQ(exit_code, 0);
  // One attempt ran and was acked; the four fetched behind it were given
  // back unattempted (delivery count as before the fetch).
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 1u);
  auto pending = w_.broker.Pending(kBackfill, "H", "", 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 4u);
  for (const PendingEntry& p : *pending) EXPECT_EQ(p.delivery_count, 0);
}

TEST_F(LanesEngineTest, ItsOwnPendingBackfillEntriesAreReadFirstAtStart) {
  // A previous run of consumer H-a read an entry of the lane and stopped
  // before acking it (a restart under the same name).
  const std::string id = w_.Publish(kBackfill);
  ASSERT_TRUE(w_.broker.CreateGroup(kBackfill, "H", GroupStart::kBeginning).ok());
  ASSERT_EQ(w_.broker.ReadNew(kBackfill, "H", "H-a", 10, Duration{0})->size(), 1u);
  Start(MakeHandler("H", "orders", Succeed()), StreamConfig(), "a");
  w_.loop.RunFor(Seconds(1));
  auto starts = w_.recorder.Of(EngineEventKind::kAttemptStarted);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].message_id, id);
  EXPECT_EQ(starts[0].stream, kBackfill);
  EXPECT_EQ(starts[0].attempt, 2);  // its second delivery
  EXPECT_EQ(w_.PendingCount(kBackfill, "H"), 0);
}

// One breaker for both lanes (Protean's one subscription object): failures
// on the backfill lane open it, and while it is open nothing starts on
// either lane; the primary message published meanwhile is the probe that
// closes it.
TEST_F(LanesEngineTest, ABreakerOpenedOnTheBackfillLanePausesBothLanes) {
  for (int i = 0; i < 2; ++i) w_.Publish(kBackfill, "Bad");
  SubscriptionConfig c = StreamConfig();
  c.circuit_breaker_threshold = 2;
  c.circuit_breaker_reset_seconds = 5;
  c.max_retries = 1;
  const TimePoint t0 = w_.clock.Now();
  Start(MakeHandler("H", "orders",
                    [](const Message& m, HandlerContext&) {
                      return m.type == "Bad" ? Status::Internal("bad") : Status::Ok();
                    }),
        c);
  w_.loop.RunFor(Seconds(1));
  const std::string good = w_.Publish("orders", "Good");
  w_.loop.RunFor(Seconds(10));
  std::vector<std::string> transitions;
  for (const auto& e : w_.recorder.Of(EngineEventKind::kCircuitBreaker)) {
    transitions.push_back(e.outcome);
  }
  EXPECT_EQ(transitions, (std::vector<std::string>{"opened", "half_open", "closed"}));
  auto starts = w_.recorder.Of(EngineEventKind::kAttemptStarted);
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_EQ(starts[2].message_id, good);
  EXPECT_EQ(starts[2].stream, "orders");
  EXPECT_EQ(starts[2].at, t0 + Seconds(5));  // not before the reset window
  EXPECT_EQ(w_.DlqDepth(kBackfill), 2);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
}

TEST(LaneStreamTest, PriorityBelowTheThresholdGoesToTheBackfillLane) {
  config::PriorityLanesConfig lanes;
  EXPECT_EQ(config::LaneStream(lanes, "orders", -5), "orders");  // lanes off
  lanes.enabled = true;
  EXPECT_EQ(config::LaneStream(lanes, "orders", -1), "orders:backfill");
  EXPECT_EQ(config::LaneStream(lanes, "orders", 0), "orders");  // strictly below 0
  lanes.threshold = 5;
  lanes.backfill_suffix = "bulk";
  EXPECT_EQ(config::LaneStream(lanes, "orders", 4), "orders:bulk");
  EXPECT_EQ(config::LaneStream(lanes, "orders", 5), "orders");
  EXPECT_EQ(config::BackfillLane(lanes, "orders"), "orders:bulk");
}

}  // namespace
}  // namespace protean
