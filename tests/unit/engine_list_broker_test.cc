// Stream subscriptions on provider redis_pubsub (Protean's list, here its
// memory twin MemoryPubSubBroker): the group is the handler's fqn, every
// group reads the whole list, a retry runs the entry the process kept, no
// DLQ (refused in config, undecodable messages dropped), and a stop handles
// what was read instead of giving it back.
#include <set>

#include <gtest/gtest.h>

#include "adapters/memory/memory_pubsub_broker.h"
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

SubscriptionConfig ListConfig() {
  SubscriptionConfig c = StreamConfig();
  c.enable_dlq = false;  // refused otherwise: the list has no DLQ
  return c;
}

class ListBrokerEngineTest : public ::testing::Test {
 protected:
  std::string Publish(const std::string& stream, const std::string& type = "OrderPlaced") {
    std::string id = w_.ids.Uuid();
    auto r = list_.Publish(stream, EncodeMessageFields(id, type, "{}"));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return id;
  }
  Engine& AddEngine(const std::string& instance, EngineOptions o = {}) {
    o.instance = instance;
    o.log = [this](const LogRecord& r) { w_.log.push_back(FormatLogLine(r)); };
    engines_.push_back(std::make_unique<Engine>(w_.loop, w_.prng, w_.metrics,
                                                w_.AdaptersFor(&list_), o, &w_.recorder));
    return *engines_.back();
  }
  Engine& Start(HandlerRegistration h, SubscriptionConfig c, const std::string& instance = "a",
                EngineOptions o = {}) {
    handlers_.push_back(std::make_unique<HandlerRegistration>(std::move(h)));
    Engine& e = AddEngine(instance, o);
    Status st = e.AddSubscription(*handlers_.back(), c);
    EXPECT_TRUE(st.ok()) << st.ToString();
    e.Start();
    return e;
  }
  static HandlerRegistration WithFqn(HandlerRegistration h, std::string fqn) {
    h.fqn = std::move(fqn);
    return h;
  }
  size_t Count(EngineEventKind kind, const std::string& subscription) const {
    size_t n = 0;
    for (const EngineEvent& e : w_.recorder.events)
      n += e.kind == kind && e.subscription == subscription;
    return n;
  }
  bool Logged(const std::string& text) const {
    for (const std::string& l : w_.log) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  SimWorld w_;
  MemoryPubSubBroker list_;
  std::vector<std::unique_ptr<HandlerRegistration>> handlers_;
  std::vector<std::unique_ptr<Engine>> engines_;
};

TEST_F(ListBrokerEngineTest, EveryGroupGetsEveryMessageAndTheGroupIsTheFqn) {
  for (int i = 0; i < 10; ++i) Publish("orders");
  Start(WithFqn(MakeHandler("Billing", "orders", Succeed()), "app.handlers.Billing"), ListConfig());
  Start(MakeHandler("Shipping", "orders", Succeed()), ListConfig(), "b");
  w_.loop.RunFor(Seconds(2));
  EXPECT_EQ(Count(EngineEventKind::kAcked, "Billing"), 10u);
  EXPECT_EQ(Count(EngineEventKind::kAcked, "Shipping"), 10u);
  EXPECT_EQ(*list_.Lag("orders", "app.handlers.Billing"), std::optional<int64_t>(0));
  EXPECT_EQ(*list_.Lag("orders", "Shipping"), std::optional<int64_t>(0));
  EXPECT_EQ(*list_.Lag("orders", "Billing"), std::optional<int64_t>(10)) << "not the name";
  EXPECT_EQ(*list_.Length("orders"), 10) << "reading removes nothing";
}

TEST_F(ListBrokerEngineTest, InstancesOfOneGroupSplitTheListWithoutRepeats) {
  for (int i = 0; i < 40; ++i) Publish("orders");
  SubscriptionConfig c = ListConfig();
  c.messages_per_tick = 3;
  Start(MakeHandler("H", "orders", Taking(Millis(10))), c, "a");
  Start(MakeHandler("H", "orders", Taking(Millis(10))), c, "b");
  w_.loop.RunFor(Seconds(5));
  std::set<std::string> ids;
  for (const EngineEvent& e : w_.recorder.Of(EngineEventKind::kAcked)) ids.insert(e.message_id);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 40u);
  EXPECT_EQ(ids.size(), 40u);
  EXPECT_GT(w_.recorder.Of(EngineEventKind::kAcked, "a").size(), 5u);
  EXPECT_GT(w_.recorder.Of(EngineEventKind::kAcked, "b").size(), 5u);
}

TEST_F(ListBrokerEngineTest, AFailedAttemptIsRetriedFromTheKeptEntry) {
  const std::string id = Publish("orders");
  const TimePoint t0 = w_.clock.Now();
  Start(MakeHandler("H", "orders", FailFirst(2)), ListConfig());
  w_.loop.RunFor(Seconds(10));
  auto starts = w_.recorder.Of(EngineEventKind::kAttemptStarted);
  ASSERT_EQ(starts.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(starts[i].attempt, i + 1) << "counted in memory";
    EXPECT_EQ(starts[i].at, t0 + Seconds(i));
    EXPECT_EQ(starts[i].message_id, id);
  }
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 1u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDropped), 0u);
}

TEST_F(ListBrokerEngineTest, ExhaustedAndUndecodableMessagesAreDroppedAndCounted) {
  Publish("orders", "Poison");
  ASSERT_TRUE(list_.Publish("orders", {{"data", R"({"no": "envelope"})"}}).ok());
  SubscriptionConfig c = ListConfig();
  c.max_retries = 2;
  c.retry_delay_seconds = 0;
  Start(MakeHandler("H", "orders", AlwaysFail()), c);
  w_.loop.RunFor(Seconds(5));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDropped), 2u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqMoved), 0u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 2u) << "the poison, twice";
  EXPECT_EQ(
      w_.metrics.Value("protean_subscription_dropped",
                       {{"subscription", "H-orders"}, {"handler", "H"}, {"stream", "orders"}}),
      2);
  EXPECT_TRUE(Logged("has no DLQ: undecodable"));
}

TEST_F(ListBrokerEngineTest, EnableDlqIsRefusedOnABrokerWithoutOne) {
  handlers_.push_back(std::make_unique<HandlerRegistration>(MakeHandler("H", "orders", Succeed())));
  Engine& e = AddEngine("a");
  SubscriptionConfig c = StreamConfig();  // enable_dlq = true
  Status st = e.AddSubscription(*handlers_.back(), c);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("has no DLQ"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("enable_dlq = false"), std::string::npos) << st.ToString();
}

TEST_F(ListBrokerEngineTest, AStopHandlesWhatWasReadIncludingItsRetries) {
  for (int i = 0; i < 10; ++i) Publish("orders");
  SubscriptionConfig c = ListConfig();
  c.messages_per_tick = 10;
  c.circuit_breaker_threshold = 1000000;  // ten first attempts fail in a row
  Engine& e = Start(MakeHandler("H", "orders", Taking(Millis(100), FailFirst(1))), c);
  w_.loop.RunFor(Millis(150));  // one batch read, the first attempt under way
  ASSERT_EQ(*list_.Lag("orders", "H"), std::optional<int64_t>(0)) << "all ten claimed";
  int exit_code = -1;
  e.Shutdown("SIGTERM", [&](int code) { exit_code = code; });
  w_.loop.RunFor(Seconds(15));
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 10u) << "none given back, none lost";
  EXPECT_FALSE(Logged("messages_lost"));
}

TEST_F(ListBrokerEngineTest, ADrainCutOffSaysWhatIsLost) {
  for (int i = 0; i < 10; ++i) Publish("orders");
  SubscriptionConfig c = ListConfig();
  EngineOptions o;
  o.drain_timeout = Seconds(1);
  Engine& e = Start(MakeHandler("H", "orders", Taking(Millis(400))), c, "a", o);
  w_.loop.RunFor(Millis(50));
  e.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(5));
  const size_t handled = w_.recorder.Count(EngineEventKind::kAcked);
  EXPECT_LT(handled, 10u);
  EXPECT_TRUE(Logged("subscription.messages_lost"));
  EXPECT_TRUE(Logged("keeps no pending entries"));
}

TEST_F(ListBrokerEngineTest, RetentionIsNotAppliedAndSaysSo) {
  for (int i = 0; i < 5; ++i) Publish("orders");
  SubscriptionConfig c = ListConfig();
  c.retention_maxlen = 2;
  Start(MakeHandler("H", "orders", Succeed()), c);
  w_.loop.RunFor(Seconds(2));
  EXPECT_EQ(*list_.Length("orders"), 5);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kStreamTrimmed), 0u);
  EXPECT_TRUE(Logged("subscription.retention_unsupported"));
}

}  // namespace
}  // namespace protean
