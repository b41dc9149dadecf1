// What a handler publishes (HandlerContext::publisher): sent only when the
// handler returns Ok, before the ack, with the handled message's correlation
// (Protean: core/event.py:135-195, domain/command_processor.py:171-205); a
// failed send retries the attempt, and the retry sends the same ids. The
// context also offers the default database and cache.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/cache.h"
#include "tests/unit/sim_world.h"

namespace protean {
namespace {

using testing::MakeHandler;
using testing::SimWorld;
using testing::StreamConfig;

class EnginePublisherTest : public ::testing::Test {
 protected:
  void Start(HandlerFn fn, SubscriptionConfig c = StreamConfig()) {
    handler_ = std::make_unique<HandlerRegistration>(MakeHandler("Billing", "orders", fn));
    Engine& e = w_.AddEngine("a");
    ASSERT_TRUE(e.AddSubscription(*handler_, c).ok());
    e.Start();
  }
  std::vector<Message> Read(const std::string& stream) {
    std::vector<Message> out;
    auto entries = w_.broker.Range(stream, "-", "+", 1000);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    if (!entries.ok()) return out;
    for (const StreamEntry& e : *entries) {
      Result<Message> m = DecodeMessage(stream, e);
      EXPECT_TRUE(m.ok()) << m.status().ToString();
      if (m.ok()) out.push_back(*m);
    }
    return out;
  }
  std::string PublishCommand() {
    MessageMetadata meta;
    meta.id = "shop::order-o1-1";
    meta.type = "Shop.PlaceOrder.v1";
    meta.kind = "COMMAND";
    meta.stream = "shop::order-o1";
    meta.correlation_id = "corr-42";
    meta.traceparent = TraceParent{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true};
    Result<Fields> fields = EncodeMessageFields(meta, R"({"order_id": "o1"})");
    EXPECT_TRUE(fields.ok());
    auto entry = w_.broker.Publish("orders", *fields);
    EXPECT_TRUE(entry.ok());
    return meta.id;
  }

  SimWorld w_;
  std::unique_ptr<HandlerRegistration> handler_;
};

TEST_F(EnginePublisherTest, AHandledMessagesPublicationsCarryItsCorrelation) {
  PublishCommand();
  Start([](const Message&, HandlerContext& ctx) {
    ctx.publisher.Publish("billing", "Shop.Billed.v1", R"({"order_id": "o1", "total": 9.5})");
    ctx.publisher.Append("billing-o1", "Shop.Billed.v1", R"({"order_id": "o1"})");
    return Status::Ok();
  });
  w_.loop.RunFor(Seconds(1));
  std::vector<Message> out = Read("billing");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, "Shop.Billed.v1");
  EXPECT_EQ(out[0].data, R"({"order_id": "o1", "total": 9.5})");
  EXPECT_EQ(out[0].metadata.kind, "EVENT");
  EXPECT_EQ(out[0].metadata.correlation_id, "corr-42");
  EXPECT_EQ(out[0].metadata.causation_id, "shop::order-o1-1");
  ASSERT_TRUE(out[0].metadata.traceparent.has_value());
  EXPECT_EQ(out[0].metadata.traceparent->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  // An event caused by a command takes the command's origin_stream (none here).
  EXPECT_EQ(out[0].metadata.origin_stream, "");

  auto rows = w_.store.ReadStream("billing-o1", 0, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  Result<Message> row = DecodeEventMessage((*rows)[0]);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->metadata.correlation_id, "corr-42");
  EXPECT_EQ(row->metadata.causation_id, "shop::order-o1-1");
  EXPECT_EQ(row->metadata.stream, "billing-o1");
  EXPECT_EQ(row->data, R"({"order_id": "o1"})");
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 1u);
}

TEST_F(EnginePublisherTest, AFailedAttemptPublishesNothing) {
  PublishCommand();
  Start([](const Message& m, HandlerContext& ctx) {
    ctx.publisher.Publish("billing", "Shop.Billed.v1", "{}");
    return m.attempt == 1 ? Status::Internal("boom") : Status::Ok();
  });
  w_.loop.RunFor(Seconds(30));
  // Attempt 1 failed (nothing sent), attempt 2 succeeded (one message).
  EXPECT_EQ(Read("billing").size(), 1u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 1u);
}

TEST_F(EnginePublisherTest, AFailedSendRetriesTheAttemptWithTheSameIds) {
  PublishCommand();
  int calls = 0;
  std::vector<std::string> ids;
  Start([&](const Message&, HandlerContext& ctx) {
    ++calls;
    ids.push_back(ctx.publisher.Publish("billing", "Shop.Billed.v1", "{}"));
    // Not a JSON object: the send fails, the attempt with it.
    if (calls == 1) ctx.publisher.Publish("audit", "Shop.Audited.v1", "[1]");
    return Status::Ok();
  });
  w_.loop.RunFor(Seconds(30));
  ASSERT_EQ(calls, 2);
  EXPECT_EQ(ids[0], ids[1]);
  std::vector<Message> billed = Read("billing");
  ASSERT_EQ(billed.size(), 2u);  // sent before the failing one, and again by the retry
  EXPECT_EQ(billed[0].id, billed[1].id);
  EXPECT_TRUE(Read("audit").empty());
  std::vector<EngineEvent> finished = w_.recorder.Of(EngineEventKind::kAttemptFinished);
  ASSERT_GE(finished.size(), 1u);
  EXPECT_EQ(finished[0].outcome, "failed");
  EXPECT_NE(finished[0].detail.find("publish Shop.Audited.v1"), std::string::npos)
      << finished[0].detail;
  EXPECT_NE(finished[0].detail.find("audit"), std::string::npos) << finished[0].detail;
}

TEST_F(EnginePublisherTest, TheContextOffersTheDefaultDatabaseAndCache) {
  w_.Publish("orders");
  Cache* seen_cache = nullptr;
  Database* seen_db = nullptr;
  Start([&](const Message&, HandlerContext& ctx) {
    seen_cache = ctx.cache;
    seen_db = ctx.database;
    return ctx.cache->Set("last-order", "o1", std::nullopt);
  });
  w_.loop.RunFor(Seconds(1));
  ASSERT_NE(seen_cache, nullptr);
  ASSERT_NE(seen_db, nullptr);
  auto v = w_.cache.Get("last-order");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "o1");
}

TEST(DerivedUuidTest, IsAStableVersion8Uuid) {
  const std::string a = DerivedUuid("Billing\nm-1\n0");
  EXPECT_EQ(a, DerivedUuid("Billing\nm-1\n0"));
  EXPECT_NE(a, DerivedUuid("Billing\nm-1\n1"));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '8');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b') << a;
}

}  // namespace
}  // namespace protean
