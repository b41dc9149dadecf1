// Stream subscriptions in memory mode: delivery, retries with backoff, the
// DLQ, undecodable payloads, timeouts and crash recovery. Every rule here has
// a test that fails if the rule breaks.
#include <gtest/gtest.h>

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

class StreamEngineTest : public ::testing::Test {
 protected:
  Engine& Start(HandlerRegistration h, SubscriptionConfig c, const std::string& instance = "a",
                EngineOptions o = {}) {
    handlers_.push_back(std::make_unique<HandlerRegistration>(std::move(h)));
    Engine& e = w_.AddEngine(instance, o);
    EXPECT_TRUE(e.AddSubscription(*handlers_.back(), c).ok());
    e.Start();
    return e;
  }
  SimWorld w_;
  std::vector<std::unique_ptr<HandlerRegistration>> handlers_;
};

TEST_F(StreamEngineTest, HandlesAndAcksEveryMessage) {
  for (int i = 0; i < 25; ++i) w_.Publish("orders");
  Start(MakeHandler("H", "orders", Succeed()), StreamConfig());
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 25u);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(
      w_.metrics.Value(
          "protean_subscription_messages_processed",
          {{"subscription", "H-orders"}, {"handler", "H"}, {"stream", "orders"}, {"status", "ok"}}),
      25);
  for (const auto& e : w_.recorder.Of(EngineEventKind::kAttemptStarted)) EXPECT_EQ(e.attempt, 1);
}

TEST_F(StreamEngineTest, PicksUpMessagesPublishedLater) {
  Start(MakeHandler("H", "orders", Succeed()), StreamConfig());
  w_.loop.RunFor(Seconds(1));
  const std::string id = w_.Publish("orders");
  w_.loop.RunFor(Seconds(1));
  auto acked = w_.recorder.Of(EngineEventKind::kAcked);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].message_id, id);
}

TEST_F(StreamEngineTest, RetriesAfterTheFixedDelayWithDeliveryCountAsAttempt) {
  w_.Publish("orders");
  const TimePoint t0 = w_.clock.Now();
  Start(MakeHandler("H", "orders", FailFirst(2)), StreamConfig());
  w_.loop.RunFor(Seconds(10));
  auto starts = w_.recorder.Of(EngineEventKind::kAttemptStarted);
  ASSERT_EQ(starts.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(starts[i].attempt, i + 1);
    EXPECT_EQ(starts[i].at, t0 + Seconds(i));  // 1 s apart: the fixed delay
  }
  auto retries = w_.recorder.Of(EngineEventKind::kRetryScheduled);
  ASSERT_EQ(retries.size(), 2u);
  for (const auto& r : retries) EXPECT_EQ(r.due - r.at, Seconds(1));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 1u);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
  EXPECT_EQ(
      w_.metrics.Value("protean_subscription_retries",
                       {{"subscription", "H-orders"}, {"handler", "H"}, {"stream", "orders"}}),
      2);
}

TEST_F(StreamEngineTest, ExponentialBackoffSchedule) {
  w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.max_retries = 5;
  c.retry_backoff = BackoffKind::kExponential;
  c.retry_delay_seconds = 1;
  c.retry_backoff_max_seconds = 5;
  Start(MakeHandler("H", "orders", AlwaysFail()), c);
  w_.loop.RunFor(Seconds(60));
  auto retries = w_.recorder.Of(EngineEventKind::kRetryScheduled);
  ASSERT_EQ(retries.size(), 4u);
  const Duration expected[] = {Seconds(1), Seconds(2), Seconds(4), Seconds(5)};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(retries[i].due - retries[i].at, expected[i]);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 5u);
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
}

TEST_F(StreamEngineTest, ARetryDoesNotBlockTheRestOfTheBatch) {
  const std::string a = w_.Publish("orders", "A");
  const std::string b = w_.Publish("orders", "B");
  const TimePoint t0 = w_.clock.Now();
  Start(MakeHandler("H", "orders",
                    [](const Message& m, HandlerContext&) {
                      return m.type == "A" && m.attempt == 1 ? Status::Internal("once")
                                                             : Status::Ok();
                    }),
        StreamConfig());
  w_.loop.RunFor(Seconds(5));
  auto acked = w_.recorder.Of(EngineEventKind::kAcked);
  ASSERT_EQ(acked.size(), 2u);
  EXPECT_EQ(acked[0].message_id, b);  // B went on while A waited for its retry
  EXPECT_EQ(acked[0].at, t0);
  EXPECT_EQ(acked[1].message_id, a);
  EXPECT_EQ(acked[1].at, t0 + Seconds(1));
}

TEST_F(StreamEngineTest, ExhaustedAttemptsGoToTheDlqWithMetadataAndAreAcked) {
  const std::string id = w_.Publish("orders");
  const TimePoint t0 = w_.clock.Now();
  Start(MakeHandler("H", "orders", AlwaysFail()), StreamConfig());
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 3u);  // max_retries = attempts
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  auto list = w_.broker.DlqList("orders:dlq", 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  const DlqEntry& e = (*list)[0];
  EXPECT_EQ(e.metadata.original_stream, "orders");
  EXPECT_EQ(e.metadata.consumer_group, "H");
  EXPECT_EQ(e.metadata.consumer, "H-a");
  EXPECT_EQ(e.metadata.attempts, 3);
  EXPECT_EQ(e.metadata.first_failure, t0);
  EXPECT_EQ(e.metadata.last_failure, t0 + Seconds(2));
  EXPECT_NE(e.metadata.reason.find("boom"), std::string::npos);
  EXPECT_EQ(MessageIdOf(e.fields), id);  // the original envelope, as it was
  auto moved = w_.recorder.Of(EngineEventKind::kDlqMoved);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].entry_id, e.metadata.original_id);
}

TEST_F(StreamEngineTest, UndecodableEntryGoesToTheDlqAtOnceWithoutRunningTheHandler) {
  // No type field: read as Protean's envelope, which "{}" is not.
  ASSERT_TRUE(w_.broker.Publish("orders", {{"id", "x1"}, {"data", "{}"}}).ok());
  ASSERT_TRUE(w_.broker.Publish("orders", {{"type", "T"}, {"data", "not json"}}).ok());
  int calls = 0;
  Start(MakeHandler("H", "orders",
                    [&calls](const Message&, HandlerContext&) {
                      ++calls;
                      return Status::Ok();
                    }),
        StreamConfig());
  w_.loop.RunFor(Seconds(5));
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(w_.DlqDepth("orders"), 2);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);  // acked, unlike Python Protean
  auto list = w_.broker.DlqList("orders:dlq", 10);
  ASSERT_TRUE(list.ok());
  std::string reasons;
  for (const auto& e : *list) reasons += e.metadata.reason + "|";
  EXPECT_NE(reasons.find("missing field 'metadata'"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("field 'data' is not JSON"), std::string::npos) << reasons;
}

TEST_F(StreamEngineTest, HandlerDeclaringUndecodableIsNotRetried) {
  w_.Publish("orders");
  Start(MakeHandler("H", "orders",
                    [](const Message&, HandlerContext&) {
                      return HandlerResult::Undecodable("cannot decode");
                    }),
        StreamConfig());
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 1u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRetryScheduled), 0u);
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  auto moved = w_.recorder.Of(EngineEventKind::kDlqMoved);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].detail, "undecodable: cannot decode");
}

TEST_F(StreamEngineTest, AForwardedInvalidArgumentIsRetriedNotDeadLetteredAtOnce) {
  // A handler passing on a port's kInvalidArgument (say, from Database::Put)
  // has failed, not declared its payload undecodable.
  w_.Publish("orders");
  Start(MakeHandler("H", "orders",
                    [](const Message&, HandlerContext&) -> HandlerResult {
                      return Status::InvalidArgument("bad key");
                    }),
        StreamConfig());
  w_.loop.RunFor(Seconds(30));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 3u);  // max_retries
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRetryScheduled), 2u);
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
}

TEST_F(StreamEngineTest, DlqDisabledAcksAndCountsTheDrop) {
  w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.enable_dlq = false;
  c.max_retries = 2;
  Start(MakeHandler("H", "orders", AlwaysFail()), c);
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 2u);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDropped), 1u);
  EXPECT_EQ(
      w_.metrics.Value("protean_subscription_dropped",
                       {{"subscription", "H-orders"}, {"handler", "H"}, {"stream", "orders"}}),
      1);
}

// Fails the first `failures` DLQ moves, as a broker that is briefly down.
class FlakyDlqBroker : public BrokerWrapper {
 public:
  FlakyDlqBroker(Broker* target, int failures) : BrokerWrapper(target), failures_(failures) {}
  Result<bool> MoveToDlq(std::string_view s, std::string_view g, std::string_view id,
                         const DlqMetadata& m) override {
    if (failures_ > 0) {
      --failures_;
      return Status::Unavailable("dlq write refused");
    }
    return BrokerWrapper::MoveToDlq(s, g, id, m);
  }

 private:
  int failures_;
};

TEST_F(StreamEngineTest, AFailedDlqWriteLeavesTheMessagePendingAndIsTriedAgain) {
  w_.Publish("orders");
  FlakyDlqBroker flaky(&w_.broker, 1);
  HandlerRegistration h = MakeHandler("H", "orders", AlwaysFail());
  SubscriptionConfig c = StreamConfig();
  c.max_retries = 2;
  Engine engine(w_.loop, w_.prng, w_.metrics, w_.AdaptersFor(&flaky), EngineOptions{},
                &w_.recorder);
  ASSERT_TRUE(engine.AddSubscription(h, c).ok());
  engine.Start();
  // Both attempts ran and the move failed; it is tried again after the
  // retry delay (1 s), never sooner than the broker back-off.
  w_.loop.RunFor(Seconds(1) + Millis(50));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqMoveFailed), 1u);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 1);  // never lost
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 2u);  // not run a third time
}

TEST_F(StreamEngineTest, AnAttemptPastItsBudgetFailsAndItsLateResultIsIgnored) {
  w_.Publish("orders");
  const TimePoint t0 = w_.clock.Now();
  SubscriptionConfig c = StreamConfig();
  c.max_retries = 2;
  c.handler_timeout_seconds = 2;
  Start(MakeHandler("H", "orders", Taking(Seconds(5))), c);
  w_.loop.RunFor(Seconds(30));
  auto fin = w_.recorder.Of(EngineEventKind::kAttemptFinished);
  ASSERT_EQ(fin.size(), 2u);
  EXPECT_EQ(fin[0].outcome, "timeout");
  // A timeout is *past* the budget: one clock tick (1 µs) after it.
  EXPECT_EQ(fin[0].at, t0 + Seconds(2) + Duration(1));
  EXPECT_EQ(fin[1].outcome, "timeout");
  // Retried 1 s after the failure, timed out 2 s + 1 µs after that.
  EXPECT_EQ(fin[1].at, t0 + Seconds(5) + Duration(2));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 0u);
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
}

TEST_F(StreamEngineTest, AnAttemptExactlyAtItsBudgetSucceeds) {
  w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.handler_timeout_seconds = 2;
  Start(MakeHandler("H", "orders", Taking(Seconds(2))), c);
  w_.loop.RunFor(Seconds(5));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 1u);
}

TEST_F(StreamEngineTest, ALiveConsumerClaimsTheEntriesOfACrashedOne) {
  const std::string id = w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.claim_idle_seconds = 10;
  // Slow on instance a, quick elsewhere.
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
  EXPECT_EQ(claimed[0].attempt, 2);  // the delivery count survived the crash
  auto acked = w_.recorder.Of(EngineEventKind::kAcked);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].instance, "b");
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  w_.loop.RunFor(Seconds(100));  // a's late completion must not ack anything
  EXPECT_EQ(w_.recorder.Of(EngineEventKind::kAcked, "a").size(), 0u);
}

TEST_F(StreamEngineTest, AttemptCountsContinueAcrossACrash) {
  w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.claim_idle_seconds = 10;
  c.max_retries = 2;
  Engine& a = Start(MakeHandler("H", "orders", AlwaysFail()), c, "a");
  w_.loop.RunFor(Millis(500));  // attempt 1 failed, retry waits
  a.Crash();
  Start(MakeHandler("H", "orders", AlwaysFail()), c, "b");
  w_.loop.RunFor(Seconds(40));
  auto b_starts = w_.recorder.Of(EngineEventKind::kAttemptStarted, "b");
  ASSERT_EQ(b_starts.size(), 1u);
  EXPECT_EQ(b_starts[0].attempt, 2);
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
  auto list = w_.broker.DlqList("orders:dlq", 1);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0].metadata.attempts, 2);
}

TEST_F(StreamEngineTest, AClaimedEntryPastItsAttemptsGoesToTheDlqWithoutRunning) {
  w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.claim_idle_seconds = 10;
  c.max_retries = 1;
  auto fn = [](const Message&, HandlerContext& ctx) {
    if (ctx.consumer == "H-a") ctx.cost = Seconds(100);
    return Status::Ok();
  };
  Engine& a = Start(MakeHandler("H", "orders", fn), c, "a");
  w_.loop.RunFor(Seconds(1));
  a.Crash();
  Start(MakeHandler("H", "orders", fn), c, "b");
  w_.loop.RunFor(Seconds(30));
  EXPECT_EQ(w_.recorder.Of(EngineEventKind::kAttemptStarted, "b").size(), 0u);
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
}

TEST_F(StreamEngineTest, ALiveConsumersHeldEntriesAreNeverClaimed) {
  for (int i = 0; i < 3; ++i) w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.claim_idle_seconds = 4;
  c.retry_delay_seconds = 20;  // a retry waits far longer than the claim bound
  auto fn = [](const Message& m, HandlerContext& ctx) {
    if (ctx.consumer != "H-a") return Status::Ok();
    ctx.cost = Seconds(10);  // a's handler is slow, and its first attempt fails
    return m.attempt == 1 ? Status::Internal("once") : Status::Ok();
  };
  Start(MakeHandler("H", "orders", fn), c, "a");
  w_.loop.RunFor(Millis(10));  // a holds all three before b starts
  Start(MakeHandler("H", "orders", fn), c, "b");
  w_.loop.RunFor(Seconds(120));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kClaimed), 0u) << w_.recorder.History();
  EXPECT_EQ(w_.recorder.Of(EngineEventKind::kAcked, "a").size(), 3u);
  EXPECT_EQ(w_.recorder.Of(EngineEventKind::kAttemptStarted, "b").size(), 0u);
}

TEST_F(StreamEngineTest, InstancesOfAGroupShareTheWork) {
  for (int i = 0; i < 40; ++i) w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.messages_per_tick = 5;
  Start(MakeHandler("H", "orders", Taking(Millis(10))), c, "a");
  Start(MakeHandler("H", "orders", Taking(Millis(10))), c, "b");
  w_.loop.RunFor(Seconds(5));
  const size_t a = w_.recorder.Of(EngineEventKind::kAcked, "a").size();
  const size_t b = w_.recorder.Of(EngineEventKind::kAcked, "b").size();
  EXPECT_EQ(a + b, 40u);  // each message handled by one consumer of the group
  EXPECT_GT(a, 10u);
  EXPECT_GT(b, 10u);
}

TEST_F(StreamEngineTest, ABrokerWithoutConsumerGroupsIsRejectedForStreamSubscriptions) {
  class NoGroups : public BrokerWrapper {
   public:
    using BrokerWrapper::BrokerWrapper;
    std::string_view provider() const override { return "fan_out"; }
    BrokerCapabilities capabilities() const override {
      BrokerCapabilities caps;
      caps.persistent = caps.consumer_groups = caps.pending = caps.dlq = caps.retention = false;
      return caps;
    }
  } no_groups(&w_.broker);
  Engine engine(w_.loop, w_.prng, w_.metrics, w_.AdaptersFor(&no_groups), EngineOptions{}, nullptr);
  HandlerRegistration h = MakeHandler("H", "orders", Succeed());
  Status st = engine.AddSubscription(h, StreamConfig());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("has no consumer groups"), std::string::npos) << st.ToString();
}

TEST_F(StreamEngineTest, TheGroupIsTheFqnWhenTheHandlerHasOne) {
  w_.Publish("orders");
  HandlerRegistration h = MakeHandler("Billing", "orders", AlwaysFail());
  h.fqn = "app.handlers.Billing";
  SubscriptionConfig c = StreamConfig();
  c.max_retries = 1;
  Start(std::move(h), c);
  w_.loop.RunFor(Seconds(2));
  auto groups = w_.broker.GroupsProgress("orders");
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].group, "app.handlers.Billing");
  auto dlq = w_.broker.DlqList(DlqStreamName("orders"), 10);
  ASSERT_TRUE(dlq.ok());
  ASSERT_EQ(dlq->size(), 1u);
  EXPECT_EQ((*dlq)[0].metadata.consumer_group, "app.handlers.Billing");
  EXPECT_EQ((*dlq)[0].metadata.consumer, "Billing-a") << "consumers keep the handler name";
  // Metrics keep the handler name as their label (Protean's class name).
  EXPECT_EQ(w_.metrics.Value(
                "protean_subscription_dlq_routed",
                {{"subscription", "Billing-orders"}, {"handler", "Billing"}, {"stream", "orders"}}),
            1);
}

// A broker counting the reads of new entries.
class CountingReadsBroker : public BrokerWrapper {
 public:
  using BrokerWrapper::BrokerWrapper;
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override {
    ++reads;
    return BrokerWrapper::ReadNew(stream, group, consumer, count, block);
  }
  int reads = 0;
};

// The next batch is read before the lane starts on this one (the broker
// answers while the lane runs), and never more than that one batch ahead.
TEST(StreamEngineReadAheadTest, TheNextBatchIsReadBeforeTheLaneStartsAndNoFurther) {
  SimWorld w;
  CountingReadsBroker broker(&w.broker);
  constexpr int kBatch = 10;
  for (int i = 0; i < 5 * kBatch; ++i) w.Publish("orders");
  std::vector<int> reads_at;     // reads issued when each message was handled
  std::vector<int64_t> held_at;  // entries delivered and not acked then
  HandlerRegistration h = MakeHandler("H", "orders", [&](const Message&, HandlerContext&) {
    reads_at.push_back(broker.reads);
    held_at.push_back(w.PendingCount("orders", "H"));
    return Status::Ok();
  });
  SubscriptionConfig c = StreamConfig();
  c.messages_per_tick = kBatch;
  Engine engine(w.loop, w.prng, w.metrics, w.AdaptersFor(&broker), EngineOptions{}, &w.recorder);
  ASSERT_TRUE(engine.AddSubscription(h, c).ok());
  engine.Start();
  w.loop.RunFor(Seconds(2));
  ASSERT_EQ(reads_at.size(), static_cast<size_t>(5 * kBatch));
  EXPECT_EQ(w.PendingCount("orders", "H"), 0);
  for (int b = 0; b < 5; ++b) {
    // Batch b is the (b+1)th read; the (b+2)th went out before its first message ran.
    EXPECT_GE(reads_at[static_cast<size_t>(b * kBatch)], b + 2) << "batch " << b;
  }
  for (size_t i = 0; i < held_at.size(); ++i) {
    EXPECT_LE(held_at[i], 2 * kBatch) << "message " << i;
  }
}

// A broker that sends an ack and a read at once (as Redis pipelines them),
// counting how the engine acks. With a read latency, each read of new
// entries takes that long (virtual time) and the broker says it blocks, as
// Redis does (the memory broker under it answers at once all the same).
class AckWithReadBroker : public BrokerWrapper {
 public:
  explicit AckWithReadBroker(Broker* target, Duration read_latency = Duration{0})
      : BrokerWrapper(target), read_latency_(read_latency) {}
  BrokerCapabilities capabilities() const override {
    BrokerCapabilities caps = BrokerWrapper::capabilities();
    caps.ack_with_read = true;
    if (read_latency_ > Duration{0}) caps.blocking_reads = true;
    return caps;
  }
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override {
    Reading(block);
    return BrokerWrapper::ReadNew(stream, group, consumer, count, block);
  }
  Result<int64_t> Ack(std::string_view stream, std::string_view group,
                      const std::vector<std::string>& ids) override {
    ++acks_alone;
    acked_alone += static_cast<int64_t>(ids.size());
    return BrokerWrapper::Ack(stream, group, ids);
  }
  Result<std::vector<StreamEntry>> AckThenReadNew(std::string_view stream, std::string_view group,
                                                  std::string_view consumer,
                                                  const std::vector<std::string>& ack_ids,
                                                  const AckDone& on_acked, int count,
                                                  Duration block) override {
    ++acks_with_read;
    acked_with_read += static_cast<int64_t>(ack_ids.size());
    Reading(block);
    return BrokerWrapper::AckThenReadNew(stream, group, consumer, ack_ids, on_acked, count, block);
  }
  int acks_alone = 0, acks_with_read = 0;
  int64_t acked_alone = 0, acked_with_read = 0;
  int reads_not_blocking = 0;

 private:
  void Reading(Duration block) {
    ChargeWorkCost(read_latency_);
    if (block <= Duration{0}) ++reads_not_blocking;
  }
  Duration read_latency_;
};

// Where the broker takes both at once, a handled batch's acks go with the
// read of the next one; every message is still acked, the last ones (no
// read follows) alone, and a retried message's ack too.
void ExpectAcksRideReads(bool failing_first) {
  SimWorld w;
  AckWithReadBroker broker(&w.broker);
  constexpr int kMessages = 250;
  for (int i = 0; i < kMessages; ++i) w.Publish("orders");
  // Failing: the first attempt of every 7th message (fewer in a row than
  // the circuit breaker's threshold).
  auto seen = std::make_shared<int>(0);
  HandlerFn some_fail_first = [seen](const Message& m, HandlerContext&) {
    return m.attempt == 1 && (*seen)++ % 7 == 0 ? Status::Internal("boom") : Status::Ok();
  };
  HandlerRegistration h = MakeHandler("H", "orders", failing_first ? some_fail_first : Succeed());
  SubscriptionConfig c = StreamConfig();
  c.messages_per_tick = 50;
  EngineOptions o;
  o.instance = "a";
  Engine engine(w.loop, w.prng, w.metrics, w.AdaptersFor(&broker), o, &w.recorder);
  ASSERT_TRUE(engine.AddSubscription(h, c).ok());
  engine.Start();
  w.loop.RunFor(Seconds(failing_first ? 30 : 2));
  EXPECT_EQ(w.recorder.Count(EngineEventKind::kAcked), static_cast<size_t>(kMessages))
      << w.recorder.Count(EngineEventKind::kAttemptStarted) << " started, "
      << w.recorder.Count(EngineEventKind::kRetryScheduled) << " retries, "
      << w.recorder.Count(EngineEventKind::kError) << " errors";
  EXPECT_EQ(w.PendingCount("orders", "H"), 0);
  EXPECT_EQ(broker.acked_alone + broker.acked_with_read, kMessages);
  EXPECT_GT(broker.acked_with_read, 0);
  // Without failures every ack rides, the last batch's with the read after
  // it (which finds nothing); a retry is read by itself, its ack goes alone.
  if (!failing_first) {
    EXPECT_EQ(broker.acks_alone, 0);
  }
}

TEST(StreamEngineAckWithReadTest, HandledBatchesAckWithTheNextRead) { ExpectAcksRideReads(false); }
TEST(StreamEngineAckWithReadTest, RetriedMessagesAreAckedToo) { ExpectAcksRideReads(true); }

// What the broker saw of a run of 250 messages in batches of 50, reads
// taking `read_latency` (virtual time) and the handler `per_message`; every
// message acked once, none left pending.
struct AckCounts {
  int alone = 0, with_read = 0, reads_not_blocking = 0;
};
AckCounts RunWithReadLatency(Duration read_latency, Duration per_message) {
  SimWorld w;
  AckWithReadBroker broker(&w.broker, read_latency);
  constexpr int kBatch = 50, kMessages = 5 * kBatch;
  for (int i = 0; i < kMessages; ++i) w.Publish("orders");
  HandlerRegistration h = MakeHandler("H", "orders", Taking(per_message));
  SubscriptionConfig c = StreamConfig();
  c.messages_per_tick = kBatch;
  Engine engine(w.loop, w.prng, w.metrics, w.AdaptersFor(&broker), EngineOptions{}, &w.recorder);
  EXPECT_TRUE(engine.AddSubscription(h, c).ok());
  engine.Start();
  w.loop.RunFor(Seconds(3));
  EXPECT_EQ(w.recorder.Count(EngineEventKind::kAcked), static_cast<size_t>(kMessages));
  EXPECT_EQ(w.PendingCount("orders", "H"), 0);
  EXPECT_EQ(broker.acked_alone + broker.acked_with_read, kMessages);
  return AckCounts{broker.acks_alone, broker.acks_with_read, broker.reads_not_blocking};
}

// Reads of 2 ms and a quick handler: a batch is handled while the read
// ahead of it is still out. Its acks wait for that read and ride the one
// after it, never a round trip of their own; reads still block (a reply may
// take the block beyond socket_timeout).
TEST(StreamEngineAckWithReadTest, AcksOfAQuickLaneWaitForTheReadInFlight) {
  const AckCounts n = RunWithReadLatency(Millis(2), Duration{0});
  EXPECT_EQ(n.alone, 0) << n.with_read << " acks rode reads";
  EXPECT_EQ(n.reads_not_blocking, 0);
}

// A slow handler: the read comes back while the lane runs, and the acks so
// far wait for the lane's end, whose read takes them.
TEST(StreamEngineAckWithReadTest, AcksOfASlowLaneWaitForItsEnd) {
  const AckCounts n = RunWithReadLatency(Millis(2), Millis(1));
  EXPECT_EQ(n.alone, 0) << n.with_read << " acks rode reads";
}

// Reads of 20 ms, longer than acks wait for one (a read that blocks on a
// drained stream): each batch's acks go alone once the wait is over.
TEST(StreamEngineAckWithReadTest, AcksWaitForASlowReadOnlySoLong) {
  const AckCounts n = RunWithReadLatency(Millis(20), Duration{0});
  EXPECT_GE(n.alone, 4) << n.with_read << " acks rode reads";
}

}  // namespace
}  // namespace protean
