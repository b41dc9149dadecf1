// `protean subscriptions status` rows (app/subscription_status.h) over memory
// brokers read as if they were another process's: the group read is the
// handler's fqn, and on redis_pubsub (the list) lag is the list's length
// minus the group's position, with nothing pending.

#include <gtest/gtest.h>

#include "adapters/memory/memory_broker.h"
#include "adapters/memory/memory_pubsub_broker.h"
#include "app/subscription_status.h"
#include "core/engine/message.h"
#include "core/runtime/sim_executor.h"

namespace protean::cli {
namespace {

HandlerRegistration Worker() {
  HandlerRegistration h;
  h.name = "Worker";
  h.stream = "orders";
  h.fqn = "app.handlers.Worker";
  return h;
}

SubscriptionStatusRow RowOf(Broker& broker, const HandlerRegistration& h) {
  StatusSources sources;
  sources.broker = &broker;
  sources.broker_in_process = false;  // read it, as a one-shot command reads Redis
  const std::vector<SubscriptionStatusRow> rows =
      CollectSubscriptionStatuses({ResolvedHandler{&h, SubscriptionConfig{}}}, sources);
  EXPECT_EQ(rows.size(), 1u);
  return rows.empty() ? SubscriptionStatusRow{} : rows[0];
}

TEST(SubscriptionStatusTest, AStreamRowReadsTheFqnGroup) {
  SimClock clock;
  MemoryBroker broker(clock);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        broker.Publish("orders", EncodeMessageFields("m" + std::to_string(i), "T", "{}")).ok());
  }
  const HandlerRegistration h = Worker();
  ASSERT_TRUE(broker.CreateGroup("orders", "app.handlers.Worker", GroupStart::kBeginning).ok());
  ASSERT_EQ(broker.ReadNew("orders", "app.handlers.Worker", "Worker-c1", 2, Duration(0))->size(),
            2u);
  const SubscriptionStatusRow row = RowOf(broker, h);
  EXPECT_EQ(row.handler_name, "Worker");
  EXPECT_EQ(row.lag, std::optional<int64_t>(1));
  EXPECT_EQ(row.pending, 2);
  EXPECT_EQ(row.consumer_count, 1);
  EXPECT_EQ(row.status, "lagging");
}

TEST(SubscriptionStatusTest, ARedisPubSubRowIsTheListLengthMinusTheGroupsPosition) {
  MemoryPubSubBroker broker;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        broker.Publish("orders", EncodeMessageFields("m" + std::to_string(i), "T", "{}")).ok());
  }
  const HandlerRegistration h = Worker();
  ASSERT_EQ(broker.ReadNew("orders", "app.handlers.Worker", "Worker-c1", 2, Duration(0))->size(),
            2u);
  SubscriptionStatusRow row = RowOf(broker, h);
  EXPECT_EQ(row.lag, std::optional<int64_t>(1));
  EXPECT_EQ(row.pending, 0);
  EXPECT_EQ(row.head_position, std::optional<std::string>("3"));
  EXPECT_EQ(row.status, "lagging");
  ASSERT_EQ(broker.ReadNew("orders", "app.handlers.Worker", "Worker-c1", 5, Duration(0))->size(),
            1u);
  row = RowOf(broker, h);
  EXPECT_EQ(row.lag, std::optional<int64_t>(0));
  EXPECT_EQ(row.status, "ok");
}

}  // namespace
}  // namespace protean::cli
