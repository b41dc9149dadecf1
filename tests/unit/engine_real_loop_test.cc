// The engine on the real runtime (RealClock + RealExecutor with workers), as
// `protean server` and test mode run it: handlers on worker threads by
// default, on the loop with inline_on_loop; everything handled and acked; a
// graceful shutdown closes the adapters.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/memory/memory_broker.h"
#include "adapters/memory/memory_event_store.h"
#include "core/broker_wrapper.h"
#include "core/engine/engine.h"
#include "core/engine/message.h"
#include "core/runtime/real_executor.h"
#include "core/storage_wrappers.h"

namespace protean {
namespace {

// Runs the loop until `handled` reaches `want`, then a SIGTERM shutdown;
// stops after `bound` whatever happens (never hangs the suite). Returns the
// shutdown's exit code (-1: it never finished).
int RunUntilHandledThenStop(RealExecutor& loop, Engine& engine, const std::atomic<int>& handled,
                            int want, Duration bound) {
  int exit_code = -1;
  std::function<void()> check = [&] {
    if (handled.load() >= want) {
      engine.Shutdown("SIGTERM", [&](int code) {
        exit_code = code;
        loop.Stop();
      });
    } else {
      loop.PostAfter(Millis(5), check);
    }
  };
  loop.PostAfter(Millis(5), check);
  loop.PostAfter(bound, [&] { loop.Stop(); });
  loop.Run();
  return exit_code;
}

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
  loop.Post([&] {
    loop_thread = std::this_thread::get_id();
    engine.Start();
  });
  const int exit_code = RunUntilHandledThenStop(loop, engine, handled, 100, Seconds(20));
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

namespace protean {
namespace {

class DownBroker : public BrokerWrapper {
 public:
  using BrokerWrapper::BrokerWrapper;
  Status Ping() override {
    ++pings;
    return Status::Unavailable("connection refused");
  }
  Result<std::vector<StreamEntry>> ReadNew(std::string_view, std::string_view, std::string_view,
                                           int, Duration) override {
    return Status::Unavailable("connection refused");
  }
  std::atomic<int> pings{0};
};

// Ready() and Live() are called from the health server's threads while the
// loop runs: they read a snapshot and never ping adapters themselves (under
// ThreadSanitizer in the sanitizer job, this test is the data-race check).
TEST(EngineRealLoopTest, ProbesFromOtherThreadsReadSnapshotsWithoutBlocking) {
  RealClock clock;
  RealExecutor loop(clock, 2);
  MemoryBroker shared(clock, "inline");
  DownBroker broker(&shared);
  Prng prng(1);
  MetricsRegistry metrics;
  EngineAdapters adapters;
  adapters.brokers = {{"default", &broker}};
  EngineOptions options;
  options.readiness_refresh = Millis(20);
  options.liveness_bound = Millis(200);
  std::vector<std::string> logged;
  std::mutex log_mu;
  options.log = [&](const LogRecord& r) {
    std::lock_guard<std::mutex> lock(log_mu);
    logged.push_back(FormatLogLine(r));
  };
  HandlerRegistration h;
  h.name = "H";
  h.stream = "orders";
  h.fn = [](const Message&, HandlerContext&) { return HandlerResult::Ok(); };
  Engine engine(loop, prng, metrics, adapters, options, nullptr);
  ASSERT_TRUE(engine.AddSubscription(h, SubscriptionConfig{}).ok());
  std::atomic<bool> done{false};
  std::atomic<int> degraded{0}, live_ok{0};
  std::thread prober([&] {
    while (!done) {
      HealthResponse r = engine.Ready();
      if (r.status == 503 && r.body.find("degraded") != std::string::npos) ++degraded;
      if (engine.Live().status == 200) ++live_ok;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  loop.Post([&] { engine.Start(); });
  loop.PostAfter(Millis(300), [&] { engine.Shutdown("test", [&](int) { loop.Stop(); }); });
  loop.Run();
  done = true;
  prober.join();
  EXPECT_GT(degraded.load(), 0) << "the refresh timer's pings published a degraded snapshot";
  EXPECT_GT(live_ok.load(), 0);
  EXPECT_GE(broker.pings.load(), 3) << "refreshed every readiness_refresh";
  // Failed reads reach the operator with no observer attached.
  EXPECT_GT(
      metrics.Value(
          "protean_subscription_errors",
          {{"subscription", "H-orders"}, {"handler", "H"}, {"stream", "orders"}, {"op", "read"}}),
      0);
  std::lock_guard<std::mutex> lock(log_mu);
  bool read_failed = false;
  for (const auto& l : logged) read_failed |= l.rfind("subscription.read_failed", 0) == 0;
  EXPECT_TRUE(read_failed);
}

// /livez proves the loop answers: a loop stuck in a task is 503 once a
// posted no-op has waited longer than liveness_bound.
TEST(EngineRealLoopTest, LivenessTurns503WhenTheLoopIsStuck) {
  RealClock clock;
  RealExecutor loop(clock, 1);
  Prng prng(1);
  MetricsRegistry metrics;
  EngineOptions options;
  options.liveness_bound = Millis(50);
  Engine engine(loop, prng, metrics, EngineAdapters{}, options, nullptr);
  std::atomic<bool> release{false};
  std::thread runner([&] { loop.Run(); });
  EXPECT_EQ(engine.Live().status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(engine.Live().status, 200) << "the loop answered the first no-op";
  loop.Post([&] {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(engine.Live().status, 200) << "posts a no-op; cannot know yet";
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  HealthResponse stuck = engine.Live();
  EXPECT_EQ(stuck.status, 503);
  EXPECT_NE(stuck.body.find("unresponsive"), std::string::npos);
  release = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(engine.Live().status, 200) << "answers again once the loop runs";
  loop.Stop();
  runner.join();
}

}  // namespace
}  // namespace protean

namespace protean {
namespace {

// Writes `n` events over `streams` streams of `category`; their ids, in order.
std::vector<std::string> WriteEvents(EventStore& store, Prng& ids, int n,
                                     const std::string& category, int streams) {
  std::vector<std::string> written;
  for (int i = 0; i < n; ++i) {
    NewEventMessage m;
    m.id = ids.Uuid();
    m.stream_name = category + "-" + std::to_string(i % streams);
    m.type = "Happened";
    EXPECT_TRUE(store.Write(m, std::nullopt).ok());
    written.push_back(m.id);
  }
  return written;
}

// The stall of ci/bench.sh's BM_MessageDbCategoryRead/1 (issue #9, item 0):
// rounds of start / Crash() on one store, as the benchmark ran them. The
// engine did what it is built to do — a subscription whose position stream
// holds a stored position resumes after it — but the benchmark reused its
// handler names (Bench0..2) between its two arguments on one category, so
// the second argument's rounds found the first's positions (written every
// position_update_interval messages, before Crash()) and had nothing left to
// read, while nothing said why. Now the engine logs the position it resumes
// from, and this test pins both halves: fresh names handle everything in
// every round; a reused name resumes and says so.
TEST(EngineRealLoopTest, EventStoreRoundsOfStartAndCrashOnOneStoreResumeVisibly) {
  RealClock clock;
  MemoryEventStore store(clock);
  constexpr int kEvents = 300;
  Prng ids(7);
  WriteEvents(store, ids, kEvents, "bench", 10);
  auto round = [&](const std::string& name, bool inline_on_loop, std::vector<std::string>* log,
                   Duration wait_max) {
    std::atomic<int> handled{0};
    HandlerRegistration h;
    h.name = name;
    h.stream = "bench";
    h.inline_on_loop = inline_on_loop;
    h.fn = [&handled](const Message&, HandlerContext&) {
      handled.fetch_add(1);
      return HandlerResult::Ok();
    };
    SubscriptionConfig c;
    c.type = SubscriptionType::kEventStore;
    c.enable_dlq = false;
    c.messages_per_tick = 50;
    c.position_update_interval = 100;
    Prng prng(1);
    MetricsRegistry metrics;
    EventStoreWrapper connection(&store);
    EngineAdapters adapters;
    adapters.event_store = &connection;
    EngineOptions options;
    std::mutex mu;
    options.log = [&](const LogRecord& r) {
      std::lock_guard<std::mutex> lock(mu);
      log->push_back(FormatLogLine(r));
    };
    // Everything a worker touches is declared before the executor: a crash
    // may leave a read (ahead) running, which the executor's destructor
    // waits for.
    RealExecutor loop(clock, 2);
    Engine engine(loop, prng, metrics, adapters, options, nullptr);
    EXPECT_TRUE(engine.AddSubscription(h, c).ok());
    loop.Post([&] { engine.Start(); });
    // Ends the round once everything was handled, or after a deadline: the
    // benchmark's hang becomes a failure with what it waited for.
    const TimePoint deadline = clock.Now() + wait_max;
    std::function<void()> check = [&] {
      if (handled.load() >= kEvents || clock.Now() >= deadline) {
        engine.Crash();  // stop without writing the position, as the benchmark did
        loop.Stop();
      } else {
        loop.PostAfter(Millis(5), check);
      }
    };
    loop.PostAfter(Millis(5), check);
    loop.Run();
    return handled.load();
  };
  for (int r = 0; r < 3; ++r) {
    for (bool inline_on_loop : {false, true}) {
      std::vector<std::string> log;
      const std::string name = "Fresh" + std::to_string(r) + (inline_on_loop ? "i" : "w");
      EXPECT_EQ(round(name, inline_on_loop, &log, Seconds(10)), kEvents) << name;
    }
  }
  std::vector<std::string> log;
  const int again = round("Fresh0w", true, &log, Millis(300));  // a name used before
  EXPECT_EQ(again, 0) << "resumed after the position that round stored";
  bool said = false;
  for (const auto& l : log) {
    said |= l.rfind("subscription.position_loaded", 0) == 0 &&
            l.find("position_stream=position-Fresh0w-bench+engine") != std::string::npos &&
            l.find("position=" + std::to_string(kEvents)) != std::string::npos;
  }
  EXPECT_TRUE(said) << "the resume position is logged";
}

}  // namespace
}  // namespace protean

namespace protean {
namespace {

// On real worker threads: `concurrency` sequences really run in parallel,
// and a handler stuck past its budget holds up nothing but itself.
TEST(EngineRealLoopTest, ConcurrentLanesOnWorkersAndAStuckHandlerAlone) {
  // Declared before the executor: its workers (the stuck handler's among
  // them) are joined before these go away.
  std::atomic<int> running{0}, running_max{0}, handled{0};
  std::atomic<bool> release{false};
  std::string stuck_id;
  RealClock clock;
  MemoryBroker shared(clock, "inline");
  BrokerWrapper broker(&shared);
  HandlerRegistration h;
  h.name = "H";
  h.stream = "orders";
  h.fn = [&](const Message& m, HandlerContext&) {
    const int now = ++running;
    int seen = running_max.load();
    while (now > seen && !running_max.compare_exchange_weak(seen, now)) {
    }
    if (m.id == stuck_id) {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    --running;
    ++handled;
    return HandlerResult::Ok();
  };
  stuck_id = "m0";
  RealExecutor loop(clock, 8);
  Prng prng(1);
  MetricsRegistry metrics;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(
        shared.Publish("orders", EncodeMessageFields("m" + std::to_string(i), "T", "{}")).ok());
  }
  EngineAdapters adapters;
  adapters.brokers = {{"default", &broker}};
  Engine engine(loop, prng, metrics, adapters, EngineOptions{}, nullptr);
  SubscriptionConfig c;
  c.concurrency = 4;
  c.max_retries = 1;
  c.handler_timeout_seconds = 0.2;
  ASSERT_TRUE(engine.AddSubscription(h, c).ok());
  loop.Post([&] { engine.Start(); });
  const TimePoint deadline = clock.Now() + Seconds(10);
  std::function<void()> check = [&] {
    if (handled.load() >= 39 || clock.Now() >= deadline) {
      release = true;
      engine.Shutdown("test", [&](int) { loop.Stop(); });
    } else {
      loop.PostAfter(Millis(5), check);
    }
  };
  loop.PostAfter(Millis(5), check);
  loop.Run();
  EXPECT_GE(handled.load(), 39) << "the other 39 ran while m0 was stuck";
  EXPECT_GE(running_max.load(), 2) << "lanes ran in parallel";
  EXPECT_LE(running_max.load(), 5) << "at most 4 lanes, plus the timed-out one still on its worker";
  EXPECT_EQ(shared.DlqDepth("orders:dlq").value(), 1) << "m0 timed out with max_retries 1";
}

}  // namespace
}  // namespace protean

namespace protean {
namespace {

// An event-store read goes to a worker in one hand-off that halts at the
// first message not handled in time. On real threads a handler that ends
// near its budget races the loop's watchdog; whoever wins, nothing after a
// failed or timed-out message may start before its retry.
TEST(EngineRealLoopTest, EventStoreHandOffsHaltAtAFailureOrTimeoutOnWorkers) {
  RealClock clock;
  RealExecutor loop(clock, 2);
  MemoryEventStore store(clock);
  Prng prng(1);
  constexpr int kMessages = 300;
  std::map<std::string, int> index_of;
  const std::vector<std::string> ids = WriteEvents(store, prng, kMessages, "account", 7);
  for (int i = 0; i < kMessages; ++i) index_of[ids[i]] = i;
  std::mutex mu;
  std::vector<int> calls;  // message index per handler call, in call order
  std::map<int, int> attempts;
  std::set<int> handled_ok;
  HandlerRegistration h;
  h.name = "Projector";
  h.stream = "account";
  h.fn = [&](const Message& m, HandlerContext&) {
    const int i = index_of.at(m.id);
    int attempt = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      calls.push_back(i);
      attempt = ++attempts[i];
    }
    if (attempt == 1 && i % 5 == 1) return HandlerResult::Retryable("not yet");
    // Around the 2 ms budget: some finish in time, some do not.
    if (attempt == 1 && i % 5 == 3) {
      std::this_thread::sleep_for(std::chrono::microseconds(1000 + 200 * (i % 11)));
    }
    std::lock_guard<std::mutex> lock(mu);
    handled_ok.insert(i);
    return HandlerResult::Ok();
  };
  SubscriptionConfig c;
  c.type = SubscriptionType::kEventStore;
  c.enable_recovery = false;
  c.enable_dlq = false;
  c.messages_per_tick = 50;
  c.max_retries = 10;  // a worker late by more than the budget on a loaded machine retries
  c.retry_delay_seconds = 0.005;
  c.handler_timeout_seconds = 0.002;
  EngineAdapters adapters;
  adapters.event_store = &store;
  MetricsRegistry metrics;
  Engine engine(loop, prng, metrics, adapters, EngineOptions{}, nullptr);
  ASSERT_TRUE(engine.AddSubscription(h, c).ok());
  loop.Post([&] { engine.Start(); });
  std::function<void()> check = [&] {
    bool all = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      all = static_cast<int>(handled_ok.size()) == kMessages;
    }
    if (all) {
      engine.Shutdown("SIGTERM", [&](int) { loop.Stop(); });
    } else {
      loop.PostAfter(Millis(5), check);
    }
  };
  loop.PostAfter(Millis(5), check);
  loop.PostAfter(Seconds(30), [&] { loop.Stop(); });  // bound: never hang the suite
  loop.Run();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(static_cast<int>(handled_ok.size()), kMessages);
  ASSERT_FALSE(calls.empty());
  for (size_t k = 1; k < calls.size(); ++k) {
    ASSERT_GE(calls[k], calls[k - 1])
        << "message " << calls[k] << " ran after message " << calls[k - 1] << " (call " << k << ")";
  }
  EXPECT_EQ(calls.back(), kMessages - 1);
}

}  // namespace
}  // namespace protean

namespace protean {
namespace {

// A broker whose reads block as Redis' do: a read with `block` that finds
// nothing waits it out on the worker thread that called it. Counts the
// blocking reads in flight at once, and the reads of each stream.
class BlockingReadsBroker : public BrokerWrapper {
 public:
  using BrokerWrapper::BrokerWrapper;
  BrokerCapabilities capabilities() const override {
    BrokerCapabilities caps = BrokerWrapper::capabilities();
    caps.blocking_reads = true;
    return caps;
  }
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++reads[std::string(stream)];
    }
    const bool blocks = block > Duration::zero();
    if (blocks) {
      const int now = ++blocking;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
    }
    auto read = BrokerWrapper::ReadNew(stream, group, consumer, count, block);
    if (blocks && read.ok() && read->empty()) std::this_thread::sleep_for(block);
    if (blocks) --blocking;
    return read;
  }
  std::atomic<int> blocking{0};
  std::atomic<int> most{0};
  std::mutex mu;
  std::map<std::string, int> reads;
};

// Idle subscriptions may not hold every worker thread (and, on Redis, every
// pooled connection) in blocking reads: past worker_threads - 2 at once
// they poll instead, and a busy subscription's fetches, handlers and acks
// still get threads. Every idle subscription still reads.
TEST(EngineRealLoopTest, BlockingReadsInFlightStayWithinTheBudget) {
  constexpr int kIdle = 8;
  constexpr int kMessages = 300;
  RealClock clock;
  RealExecutor loop(clock, 4);
  MemoryBroker shared(clock, "blocking");
  BlockingReadsBroker broker(&shared);
  Prng prng(1);
  MetricsRegistry metrics;
  std::atomic<int> handled{0};
  EngineAdapters adapters;
  adapters.brokers = {{"default", &broker}};
  EngineOptions o;
  o.worker_threads = 4;  // as the executor: blocking reads bounded to 4 - 2
  Engine engine(loop, prng, metrics, adapters, o, nullptr);
  SubscriptionConfig c;
  c.messages_per_tick = 10;
  c.blocking_timeout_ms = 50;
  std::vector<HandlerRegistration> handlers(kIdle + 1);
  for (int i = 0; i <= kIdle; ++i) {
    HandlerRegistration& h = handlers[static_cast<size_t>(i)];
    h.name = i == kIdle ? "Busy" : "Idle" + std::to_string(i);
    h.stream = i == kIdle ? "orders" : "idle" + std::to_string(i);
    h.fn = [&handled](const Message&, HandlerContext&) {
      ++handled;
      return Status::Ok();
    };
    ASSERT_TRUE(engine.AddSubscription(h, c).ok());
  }
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(shared.Publish("orders", EncodeMessageFields(std::to_string(i), "T", "{}")).ok());
  }
  loop.Post([&] { engine.Start(); });
  const int exit_code = RunUntilHandledThenStop(loop, engine, handled, kMessages, Seconds(30));
  EXPECT_EQ(handled.load(), kMessages);
  EXPECT_EQ(exit_code, 0);
  EXPECT_LE(broker.most.load(), 2);
  EXPECT_GE(broker.most.load(), 1);  // some reads did block
  std::lock_guard<std::mutex> lock(broker.mu);
  for (int i = 0; i < kIdle; ++i) EXPECT_GE(broker.reads["idle" + std::to_string(i)], 1) << i;
  auto pending = shared.Pending("orders", "Busy", "", 10);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
}

}  // namespace
}  // namespace protean
