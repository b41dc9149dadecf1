// An adapter outage reaches the log once, not once per poll: the first
// failed read is logged, the failures that follow are only counted (with a
// "still failing" line at most every minute), and the first good read after
// it logs how long the outage lasted.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/memory/memory_broker.h"
#include "core/broker_wrapper.h"
#include "core/engine/engine.h"
#include "core/runtime/prng.h"
#include "core/runtime/sim_executor.h"

namespace protean {
namespace {

// Fails every read while `down` is set.
class SwitchedBroker : public BrokerWrapper {
 public:
  using BrokerWrapper::BrokerWrapper;
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override {
    if (down) return Status::Unavailable("connection refused");
    return BrokerWrapper::ReadNew(stream, group, consumer, count, block);
  }
  bool down = true;
};

// An engine with one subscription "H" on "orders" over a SwitchedBroker,
// in simulated time, its log kept.
struct OutageWorld {
  SimClock clock;
  SimExecutor loop{clock};
  MemoryBroker shared{clock, "inline"};
  SwitchedBroker broker{&shared};
  Prng prng{1};
  MetricsRegistry metrics;
  std::vector<LogRecord> logged;
  HandlerRegistration handler;
  std::unique_ptr<Engine> engine;

  OutageWorld() {
    EngineAdapters adapters;
    adapters.brokers = {{"default", &broker}};
    EngineOptions options;
    options.log = [this](const LogRecord& r) { logged.push_back(r); };
    handler.name = "H";
    handler.stream = "orders";
    handler.fn = [](const Message&, HandlerContext&) { return HandlerResult::Ok(); };
    engine = std::make_unique<Engine>(loop, prng, metrics, adapters, options, nullptr);
    PROTEAN_CHECK(engine->AddSubscription(handler, SubscriptionConfig{}).ok());
  }
};

TEST(EngineOutageLogTest, AnOutageIsLoggedOnceThenItsRecovery) {
  OutageWorld w;
  SimExecutor& loop = w.loop;
  SwitchedBroker& broker = w.broker;
  MetricsRegistry& metrics = w.metrics;
  std::vector<LogRecord>& logged = w.logged;
  Engine& engine = *w.engine;
  engine.Start();
  loop.RunFor(Seconds(30));
  auto count = [&](const std::string& event) {
    int n = 0;
    for (const LogRecord& r : logged) n += r.event == event ? 1 : 0;
    return n;
  };
  const double failures = metrics.Value(
      "protean_subscription_errors",
      {{"subscription", "H-orders"}, {"handler", "H"}, {"stream", "orders"}, {"op", "read"}});
  EXPECT_GT(failures, 20) << "the subscription kept polling";
  EXPECT_EQ(count("subscription.read_failed"), 1);
  loop.RunFor(Seconds(40));  // past a minute of outage: one "still failing" line
  EXPECT_EQ(count("subscription.read_failed"), 2);
  EXPECT_EQ(count("subscription.read_recovered"), 0);
  broker.down = false;
  loop.RunFor(Seconds(1));
  ASSERT_EQ(count("subscription.read_recovered"), 1);
  const LogRecord* recovered = nullptr;
  for (const LogRecord& r : logged)
    recovered = r.event == "subscription.read_recovered" ? &r : recovered;
  EXPECT_EQ(recovered->level, LogLevel::kInfo);
  EXPECT_NE(recovered->message.find("recovered after 70."), std::string::npos)
      << recovered->message;
  loop.RunFor(Seconds(5));
  EXPECT_EQ(count("subscription.read_recovered"), 1) << "logged once";
  engine.Shutdown("test");
  loop.RunUntilIdle(100000);
}

}  // namespace
}  // namespace protean
