// DLQ maintenance: trimming by age, depth, alerts once per cycle while the
// threshold is breached, per-handler overrides, failing callbacks.
#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/unit/sim_world.h"

namespace protean {
namespace {

using testing::AlwaysFail;
using testing::MakeHandler;
using testing::SimWorld;
using testing::StreamConfig;

class DlqMaintenanceTest : public ::testing::Test {
 protected:
  Engine& Start(SubscriptionConfig c, DlqSettings dlq) {
    handler_ = MakeHandler("H", "orders", AlwaysFail());
    EngineOptions o;
    o.dlq = dlq;
    Engine& e = w_.AddEngine("a", o);
    EXPECT_TRUE(e.AddSubscription(handler_, c).ok());
    return e;
  }
  static SubscriptionConfig OneAttempt() {
    SubscriptionConfig c = StreamConfig();
    c.max_retries = 1;
    return c;
  }
  SimWorld w_;
  HandlerRegistration handler_;
};

TEST_F(DlqMaintenanceTest, AlertsOncePerCycleWhileBreached) {
  w_.Publish("orders");
  w_.Publish("orders");
  Engine& e = Start(OneAttempt(), DlqSettings{true, 168, 2, 60});
  std::vector<std::string> calls;
  e.AddDlqAlertCallback([&](const std::string& s, int64_t depth, int64_t threshold) {
    calls.push_back(s + ":" + std::to_string(depth) + "/" + std::to_string(threshold));
    return Status::Ok();
  });
  e.Start();
  w_.loop.RunFor(Seconds(59));
  EXPECT_EQ(w_.DlqDepth("orders"), 2);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqAlert), 0u);  // no cycle yet
  w_.loop.RunFor(Seconds(2));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqAlert), 1u);
  w_.loop.RunFor(Seconds(120));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqAlert), 3u);  // every cycle, no latch
  EXPECT_EQ(calls,
            (std::vector<std::string>{"orders:dlq:2/2", "orders:dlq:2/2", "orders:dlq:2/2"}));
  EXPECT_EQ(w_.metrics.Value("protean_dlq_alerts", {{"dlq_stream", "orders:dlq"}}), 3);
  ASSERT_FALSE(w_.log.empty());
  bool logged = false;
  for (const auto& l : w_.log) logged |= l.find("dlq_maintenance.threshold_exceeded") == 0;
  EXPECT_TRUE(logged);
}

TEST_F(DlqMaintenanceTest, NoAlertBelowTheThreshold) {
  w_.Publish("orders");
  Engine& e = Start(OneAttempt(), DlqSettings{true, 168, 2, 60});
  e.Start();
  w_.loop.RunFor(Seconds(200));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqAlert), 0u);
}

TEST_F(DlqMaintenanceTest, AFailingCallbackIsLoggedAndNeverStallsMaintenance) {
  w_.Publish("orders");
  Engine& e = Start(OneAttempt(), DlqSettings{true, 168, 1, 60});
  int throwing_calls = 0, good_calls = 0;
  e.AddDlqAlertCallback([&](const std::string&, int64_t, int64_t) -> Status {
    ++throwing_calls;
    throw std::runtime_error("pager down");
  });
  e.AddDlqAlertCallback([&](const std::string&, int64_t, int64_t) {
    ++good_calls;
    return Status::Internal("webhook 500");
  });
  e.Start();
  w_.loop.RunFor(Seconds(181));
  EXPECT_EQ(throwing_calls, 3);
  EXPECT_EQ(good_calls, 3);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqCallbackFailed), 6u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqAlert), 3u);
}

TEST_F(DlqMaintenanceTest, TrimsEntriesOlderThanTheRetention) {
  w_.Publish("orders");
  w_.Publish("orders");
  Engine& e = Start(OneAttempt(), DlqSettings{true, 1, 100, 600});  // 1 h, every 10 min
  e.Start();
  w_.loop.RunFor(Seconds(30 * 60));
  w_.Publish("orders");              // a newer failure
  w_.loop.RunFor(Seconds(41 * 60));  // the 70-min cycle: the first two are past 1 h
  auto trimmed = w_.recorder.Of(EngineEventKind::kDlqTrimmed);
  ASSERT_EQ(trimmed.size(), 1u);
  EXPECT_EQ(trimmed[0].value, 2);
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
  EXPECT_EQ(w_.metrics.Value("protean_dlq_trimmed", {{"dlq_stream", "orders:dlq"}}), 2);
}

TEST_F(DlqMaintenanceTest, PerHandlerOverridesApply) {
  w_.Publish("orders");
  SubscriptionConfig c = OneAttempt();
  c.dlq_alert_threshold = 1;    // global 100
  c.dlq_retention_hours = 720;  // global 1 h
  Engine& e = Start(c, DlqSettings{true, 1, 100, 3600});
  e.Start();
  w_.loop.RunFor(Seconds(2 * 3600 + 1));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqAlert), 2u);    // threshold 1, not 100
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqTrimmed), 0u);  // kept 720 h, not 1 h
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
}

TEST_F(DlqMaintenanceTest, DisabledMeansNoCycles) {
  w_.Publish("orders");
  Engine& e = Start(OneAttempt(), DlqSettings{false, 168, 1, 60});
  e.Start();
  w_.loop.RunFor(Seconds(600));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDlqAlert), 0u);
}

}  // namespace
}  // namespace protean
