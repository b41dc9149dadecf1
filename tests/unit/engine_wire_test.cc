// The engine on Protean's wire format: handlers see the envelope's metadata,
// expired commands are acked and skipped (server/engine.py:779-820), and
// event-store subscriptions filter origin_stream on Protean's field
// (event_store_subscription.py:407-433) and record undecodable rows.

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/internal/iso_time.h"
#include "tests/unit/sim_world.h"

namespace protean {
namespace {

using testing::MakeHandler;
using testing::SimWorld;
using testing::StreamConfig;

class EngineWireTest : public ::testing::Test {
 protected:
  Engine& Start(const std::string& stream, SubscriptionConfig c) {
    handler_ = std::make_unique<HandlerRegistration>(
        MakeHandler("H", stream, [this](const Message& m, HandlerContext& ctx) {
          seen_.push_back(m);
          if (auto it = cost_of_.find(m.id); it != cost_of_.end()) ctx.cost = it->second;
          return Status::Ok();
        }));
    Engine& e = w_.AddEngine("a");
    EXPECT_TRUE(e.AddSubscription(*handler_, c).ok());
    e.Start();
    return e;
  }
  void PublishEnvelope(const MessageMetadata& meta, const std::string& payload) {
    Result<Fields> fields = EncodeMessageFields(meta, payload);
    ASSERT_TRUE(fields.ok()) << fields.status().ToString();
    ASSERT_TRUE(w_.broker.Publish("orders", *fields).ok());
  }
  // Returns the row's id (the one engine events name).
  std::string WriteRow(const std::string& stream, const std::string& metadata,
                       const std::string& data = "{}") {
    NewEventMessage m{w_.ids.Uuid(), stream, "Happened", data, metadata};
    EXPECT_TRUE(w_.store.Write(m, std::nullopt).ok());
    return m.id;
  }
  static SubscriptionConfig Projection() {
    SubscriptionConfig c;
    c.type = SubscriptionType::kEventStore;
    c.enable_dlq = false;
    c.messages_per_tick = 100;
    return c;
  }

  SimWorld w_;
  std::unique_ptr<HandlerRegistration> handler_;
  std::vector<Message> seen_;
  std::map<std::string, Duration> cost_of_;  // a handler's declared duration, by message id
};

TEST_F(EngineWireTest, HandlersSeeTheEnvelopesMetadata) {
  MessageMetadata meta;
  meta.id = "ecommerce::order-o1-1";
  meta.type = "Ecommerce.OrderPlaced.v1";
  meta.kind = "EVENT";
  meta.correlation_id = "corr-1";
  meta.causation_id = "cmd-1";
  meta.traceparent = TraceParent{"trace", "parent", true};
  meta.priority = 5;
  PublishEnvelope(meta, R"({"amount": 1.5})");
  Start("orders", StreamConfig());
  w_.loop.RunFor(Seconds(1));
  ASSERT_EQ(seen_.size(), 1u);
  const Message& m = seen_[0];
  EXPECT_EQ(m.id, "ecommerce::order-o1-1");
  EXPECT_EQ(m.type, "Ecommerce.OrderPlaced.v1");
  EXPECT_EQ(m.data, R"({"amount": 1.5})");
  EXPECT_EQ(m.metadata.correlation_id, "corr-1");
  EXPECT_EQ(m.metadata.causation_id, "cmd-1");
  EXPECT_EQ(m.metadata.traceparent, meta.traceparent);
  EXPECT_EQ(m.metadata.priority, 5);
  EXPECT_EQ(m.attempt, 1);
  EXPECT_EQ(w_.recorder.Of(EngineEventKind::kAcked).at(0).message_id, "ecommerce::order-o1-1");
}

TEST_F(EngineWireTest, ExpiredCommandsAreAckedAndSkipped) {
  MessageMetadata expired;
  expired.id = "c-1";
  expired.type = "Ecommerce.PlaceOrder.v1";
  expired.kind = "COMMAND";
  expired.deadline = w_.clock.Now() - Seconds(1);
  PublishEnvelope(expired, "{}");
  MessageMetadata live = expired;
  live.id = "c-2";
  live.deadline = w_.clock.Now() + Seconds(60);
  PublishEnvelope(live, "{}");
  Start("orders", StreamConfig());
  w_.loop.RunFor(Seconds(1));
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].id, "c-2");
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(w_.DlqDepth("orders"), 0);
  const auto dropped = w_.recorder.Of(EngineEventKind::kDropped);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].message_id, "c-1");
  EXPECT_EQ(dropped[0].detail, "expired: deadline passed");
  EXPECT_EQ(
      w_.metrics.Value("protean_command_expired", {{"command_type", "Ecommerce.PlaceOrder.v1"}}),
      1);
}

TEST_F(EngineWireTest, EventStoreOriginStreamFiltersOnProteansField) {
  // Protean's filter_on_origin keeps a message whose
  // metadata.domain.origin_stream has the configured category.
  WriteRow("account-1", R"({"headers": {"id": "h-1"}, "domain": {"origin_stream": "cart-7"}})");
  WriteRow("account-1", R"({"headers": {"id": "h-2"}, "domain": {"origin_stream": "order-7"}})");
  WriteRow("account-2", R"({"headers": {"id": "h-3"}, "domain": {"origin_stream": "cart"}})");
  WriteRow("account-2", R"({"headers": {"id": "h-4"}})");
  WriteRow("account-2", R"({"correlationStreamName": "cart-9"})");  // Message DB's field: not used
  SubscriptionConfig c = Projection();
  c.origin_stream = "cart";
  Engine& e = Start("account", c);
  w_.loop.RunFor(Seconds(1));
  std::vector<std::string> ids;
  for (const Message& m : seen_) ids.push_back(m.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"h-1", "h-3"}));
  // The others are stepped over: not attempted, not failed, nothing recorded.
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 2u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptFinished), 2u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDropped), 0u);
  e.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  // The position moved past the filtered ones too.
  auto last = w_.store.LastMessage("position-H-account+a", std::nullopt);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->data, R"({"position": 5})");
}

TEST_F(EngineWireTest, EventStoreRowsAreDecodedExpiredOnesSkippedUndecodableOnesRecorded) {
  const std::string deadline = internal::FormatIsoTime(w_.clock.Now() - Seconds(1));
  WriteRow("account-1", R"({"headers": {"id": "h-1"}, "domain": {"correlation_id": "c9"}})");
  WriteRow("account-1", R"({"headers": {"id": "h-2", "deadline": ")" + deadline + R"("}})");
  WriteRow("account-1", R"({"headers": {"id": "h-3"}, "envelope": {"checksum": "bad"}})");
  Start("account", Projection());
  w_.loop.RunFor(Seconds(5));
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].id, "h-1");
  EXPECT_EQ(seen_[0].metadata.correlation_id, "c9");
  EXPECT_EQ(seen_[0].metadata.global_position, 1);
  const auto dropped = w_.recorder.Of(EngineEventKind::kDropped);
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].detail, "expired: deadline passed");
  EXPECT_NE(dropped[1].detail.find("undecodable: checksum mismatch"), std::string::npos)
      << dropped[1].detail;
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRetryScheduled), 0u);
}

// A message handed to the worker behind a slow one, whose deadline passes
// while it waits: skipped there, delivered and dropped but never an attempt
// (no attempt_started: the handler was not called), as on streams.
TEST_F(EngineWireTest, AnEventThatExpiresBehindASlowOneIsDroppedNotAttempted) {
  const std::string deadline = internal::FormatIsoTime(w_.clock.Now() + Seconds(1));
  const std::string row1 = WriteRow("account-1", R"({"headers": {"id": "h-1"}})");
  const std::string row2 =
      WriteRow("account-1", R"({"headers": {"id": "h-2", "deadline": ")" + deadline + R"("}})");
  const std::string row3 = WriteRow("account-1", R"({"headers": {"id": "h-3"}})");
  cost_of_["h-1"] = Seconds(2);  // h-2 expires while h-1 runs
  Start("account", Projection());
  w_.loop.RunFor(Seconds(5));
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].id, "h-1");
  EXPECT_EQ(seen_[1].id, "h-3");
  const auto dropped = w_.recorder.Of(EngineEventKind::kDropped);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].message_id, row2);
  EXPECT_EQ(dropped[0].detail, "expired: deadline passed");
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDelivered), 3u);
  const auto started = w_.recorder.Of(EngineEventKind::kAttemptStarted);
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].message_id, row1);
  EXPECT_EQ(started[1].message_id, row3);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptFinished), 2u);
}

}  // namespace
}  // namespace protean
