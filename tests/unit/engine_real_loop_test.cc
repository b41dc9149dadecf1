// The engine on the real runtime (RealClock + RealExecutor with workers), as
// `protean server` and test mode run it: handlers on worker threads by
// default, on the loop with inline_on_loop; everything handled and acked; a
// graceful shutdown closes the adapters.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/memory/memory_broker.h"
#include "core/broker_wrapper.h"
#include "core/engine/engine.h"
#include "core/engine/message.h"
#include "core/runtime/real_executor.h"

namespace protean {
namespace {

TEST(EngineRealLoopTest, HandlesOnWorkersOrInlineAndShutsDown) {
  RealClock clock;
  RealExecutor loop(clock, 2);
  MemoryBroker shared(clock, "inline");
  BrokerWrapper broker(&shared);
  Prng prng(1);
  MetricsRegistry metrics;
  std::mutex mu;
  std::set<std::thread::id> worker_threads, inline_threads;
  std::thread::id loop_thread;
  std::atomic<int> handled{0};
  auto make = [&](const std::string& name, bool inline_on_loop, std::set<std::thread::id>* seen) {
    HandlerRegistration h;
    h.name = name;
    h.stream = "orders";
    h.inline_on_loop = inline_on_loop;
    h.fn = [&, seen](const Message&, HandlerContext&) {
      std::lock_guard<std::mutex> lock(mu);
      seen->insert(std::this_thread::get_id());
      ++handled;
      return Status::Ok();
    };
    return h;
  };
  HandlerRegistration on_workers = make("OnWorkers", false, &worker_threads);
  HandlerRegistration on_loop = make("OnLoop", true, &inline_threads);
  EngineAdapters adapters;
  adapters.brokers = {{"default", &broker}};
  Engine engine(loop, prng, metrics, adapters, EngineOptions{}, nullptr);
  SubscriptionConfig c;
  c.messages_per_tick = 7;
  ASSERT_TRUE(engine.AddSubscription(on_workers, c).ok());
  ASSERT_TRUE(engine.AddSubscription(on_loop, c).ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(shared.Publish("orders", EncodeMessageFields(std::to_string(i), "T", "{}")).ok());
  }
  int exit_code = -1;
  loop.Post([&] {
    loop_thread = std::this_thread::get_id();
    engine.Start();
  });
  std::function<void()> check = [&] {
    if (handled.load() >= 100) {
      engine.Shutdown("SIGTERM", [&](int code) {
        exit_code = code;
        loop.Stop();
      });
    } else {
      loop.PostAfter(Millis(5), check);
    }
  };
  loop.PostAfter(Millis(5), check);
  loop.PostAfter(Seconds(20), [&] { loop.Stop(); });  // bound: never hang the suite
  loop.Run();
  EXPECT_EQ(handled.load(), 100);
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(engine.state(), Engine::State::kStopped);
  EXPECT_TRUE(broker.closed());
  EXPECT_EQ(inline_threads, std::set<std::thread::id>{loop_thread});
  EXPECT_FALSE(worker_threads.empty());
  EXPECT_EQ(worker_threads.count(loop_thread), 0u);
  for (const char* group : {"OnWorkers", "OnLoop"}) {
    auto pending = shared.Pending("orders", group, "", 100);
    ASSERT_TRUE(pending.ok());
    EXPECT_TRUE(pending->empty()) << group;  // every ack reached the broker before the close
  }
}

}  // namespace
}  // namespace protean
