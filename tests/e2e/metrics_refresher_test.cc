// The background gauges of `protean server` (app/server/metrics_refresher.h)
// over the memory backends: a stream subscription's lag, its whole pending
// list (past the 10 000 one listing page held) and DLQ depth; an
// event-store subscription's lag (category head minus the stored position,
// as Protean's subscription_status.py), pending and DLQ depth 0; the
// readiness "subscriptions" block with the same numbers. The same against
// Message DB: tests/e2e/server_metrics_e2e_test.cc.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/memory/memory_broker.h"
#include "adapters/memory/memory_event_store.h"
#include "app/server/metrics_refresher.h"
#include "core/runtime/sim_executor.h"

namespace protean::cli {
namespace {

MetricLabels Labels(const std::string& handler, const std::string& stream, const char* type) {
  return {{"subscription", handler + "-" + stream},
          {"handler", handler},
          {"stream", stream},
          {"type", type}};
}

NewEventMessage Event(const std::string& stream, int n, std::string type = "Happened",
                      std::string data = "{}") {
  NewEventMessage m;
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
  m.id = id;
  m.stream_name = stream;
  m.type = std::move(type);
  m.data = std::move(data);
  return m;
}

class MetricsRefresherTest : public ::testing::Test {
 protected:
  MetricsRefresher Make(std::vector<RefreshedSubscription> subs) {
    return MetricsRefresher(metrics_, &broker_, &store_, nullptr, std::move(subs), nullptr,
                            Seconds(5));
  }
  // The readiness block's details, by subscription name.
  nlohmann::json Detail(const MetricsRefresher& r, const std::string& name) {
    const nlohmann::json block = nlohmann::json::parse(r.SubscriptionsJson());
    for (const nlohmann::json& d : block["details"]) {
      if (d["name"] == name) return d;
    }
    ADD_FAILURE() << "no detail " << name;
    return {};
  }
  // Global positions of the category, in order.
  std::vector<int64_t> Globals(const std::string& category) {
    std::vector<int64_t> out;
    auto all = store_.ReadCategory(category, CategoryRead{});
    EXPECT_TRUE(all.ok());
    for (const EventMessage& m : *all) out.push_back(m.global_position);
    return out;
  }

  SimClock clock_;
  MemoryBroker broker_{clock_, "inline"};
  MemoryEventStore store_{clock_};
  MetricsRegistry metrics_;
};

TEST_F(MetricsRefresherTest, StreamGaugesCountTheWholePendingList) {
  constexpr int kEntries = 10'003;  // past the 10 000 of one XPENDING listing
  for (int i = 0; i < kEntries + 2; ++i) {
    ASSERT_TRUE(broker_.Publish("orders", {{"data", std::to_string(i)}}).ok());
  }
  ASSERT_TRUE(broker_.CreateGroup("orders", "Billing", GroupStart::kBeginning).ok());
  ASSERT_TRUE(broker_.ReadNew("orders", "Billing", "ghost", kEntries, Duration(0)).ok());
  ASSERT_TRUE(broker_.Publish(DlqStreamName("orders"), {{"data", "dead"}}).ok());
  MetricsRefresher r = Make({{"Billing", "orders", true, ""}});
  r.RefreshOnce();
  const MetricLabels l = Labels("Billing", "orders", "stream");
  EXPECT_EQ(metrics_.Value("protean_subscription_pending_messages", l), kEntries);
  EXPECT_EQ(metrics_.Value("protean_subscription_consumer_lag", l), 2);
  EXPECT_EQ(metrics_.Value("protean_subscription_dlq_depth", l), 1);
  EXPECT_EQ(metrics_.Value("protean_subscription_status", l), 1);
  const nlohmann::json d = Detail(r, "Billing-orders");
  EXPECT_EQ(d["pending"], kEntries);
  EXPECT_EQ(d["lag"], 2);
  EXPECT_EQ(d["subscription_type"], "stream");
}

TEST_F(MetricsRefresherTest, EventStoreLagIsTheCategoryHeadMinusTheStoredPosition) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(store_.Write(Event("order-" + std::to_string(i % 2), i), {}).ok());
  ASSERT_TRUE(
      store_.Write(Event("invoice-1", 10), {}).ok());  // another category's head is not ours
  const std::vector<int64_t> globals = Globals("order");
  ASSERT_EQ(globals.size(), 5u);
  // Handled up to the second message, stored under this engine's earlier
  // name (0.2): read while the subscription's own stream is still empty.
  const std::string position = "{\"position\":" + std::to_string(globals[1]) + "}";
  ASSERT_TRUE(store_.Write(Event("order:position-Proj", 20, "Recorded", position), {}).ok());
  MetricsRefresher r =
      Make({{"Proj", "order", false, "position-Proj-order", "", {"order:position-Proj"}}});
  r.RefreshOnce();
  const MetricLabels l = Labels("Proj", "order", "event_store");
  EXPECT_EQ(metrics_.Value("protean_subscription_consumer_lag", l), globals[4] - globals[1]);
  EXPECT_EQ(metrics_.Value("protean_subscription_status", l), 1);
  const std::string text = metrics_.RenderPrometheus();
  for (const char* family :
       {"protean_subscription_pending_messages", "protean_subscription_dlq_depth"}) {
    EXPECT_NE(text.find(std::string(family) + RenderLabels(l) + " 0\n"), std::string::npos)
        << family << " 0 for an event-store subscription, as Protean's\n"
        << text;
  }
  const nlohmann::json d = Detail(r, "Proj-order");
  EXPECT_EQ(d["lag"], globals[4] - globals[1]);
  EXPECT_EQ(d["pending"], 0);
  EXPECT_EQ(d["dlq_depth"], 0);
  EXPECT_EQ(d["subscription_type"], "event_store");
  EXPECT_EQ(d["status"], "ok");
  // Caught up: the position reaches the head, stored as Protean stores it.
  const std::string head = "{\"position\": " + std::to_string(globals[4]) + "}";
  ASSERT_TRUE(store_.Write(Event("position-Proj-order", 21, "Read", head), {}).ok());
  r.RefreshOnce();
  EXPECT_EQ(metrics_.Value("protean_subscription_consumer_lag", l), 0);
}

TEST_F(MetricsRefresherTest, EventStoreLagWithoutAStoredPositionAndOfAnEmptyCategory) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_.Write(Event("order-1", i), {}).ok());
  MetricsRefresher r = Make({{"Proj", "order", false, "position-Proj-order"},
                             {"Empty", "nothing", false, "position-Empty-nothing"}});
  r.RefreshOnce();
  // Nothing stored: everything up to the head is behind.
  EXPECT_EQ(
      metrics_.Value("protean_subscription_consumer_lag", Labels("Proj", "order", "event_store")),
      Globals("order").back());
  // An empty category has no head: lag unknown (no sample, null), as Protean's.
  const MetricLabels empty = Labels("Empty", "nothing", "event_store");
  EXPECT_EQ(
      metrics_.RenderPrometheus().find("protean_subscription_consumer_lag" + RenderLabels(empty)),
      std::string::npos);
  EXPECT_TRUE(Detail(r, "Empty-nothing")["lag"].is_null());
  EXPECT_EQ(metrics_.Value("protean_subscription_status", empty), 1);
}

TEST_F(MetricsRefresherTest, AnEventStoreThatFailsTurnsTheStatusToZero) {
  ASSERT_TRUE(store_.Write(Event("order-1", 1), {}).ok());
  MetricsRefresher r = Make({{"Proj", "order", false, "position-Proj-order"}});
  r.RefreshOnce();
  const MetricLabels l = Labels("Proj", "order", "event_store");
  EXPECT_EQ(metrics_.Value("protean_subscription_status", l), 1);
  const double lag = metrics_.Value("protean_subscription_consumer_lag", l);
  EXPECT_EQ(lag, Globals("order").back());
  store_.Close();
  r.RefreshOnce();
  EXPECT_EQ(metrics_.Value("protean_subscription_status", l), 0);
  EXPECT_EQ(metrics_.Value("protean_subscription_consumer_lag", l), lag) << "the last value stays";
  EXPECT_EQ(Detail(r, "Proj-order")["status"], "error");
}

}  // namespace
}  // namespace protean::cli
