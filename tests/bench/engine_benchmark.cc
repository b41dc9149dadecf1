// Engine benchmarks (memory mode):
//   memory_throughput_msgs_per_s  publish -> handle -> ack through the engine,
//                                 no-op handler, one thread, SimExecutor
//   raw_queue_msgs_per_s          the same push/pop/ack loop over plain standard
//                                 containers: the ceiling the first is compared with
//   sim_time_acceleration         simulated seconds per wall second for a workload
//                                 dominated by 1 s retry delays and a 10 s drain
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>

#include "adapters/memory/memory_broker.h"
#include "adapters/memory/memory_cache.h"
#include "adapters/memory/memory_database.h"
#include "adapters/memory/memory_event_store.h"
#include "core/engine/engine.h"
#include "core/engine/message.h"
#include "core/runtime/sim_executor.h"
#include "tests/bench/bench_main.h"

namespace protean {
namespace {

constexpr int kBatch = 10000;

struct World {
  SimClock clock;
  SimExecutor loop{clock};
  Prng prng{1};
  MetricsRegistry metrics;
  MemoryBroker broker{clock, "inline"};
  MemoryEventStore store{clock};
  MemoryDatabase db;
  MemoryCache cache{clock};
  EngineAdapters Adapters() {
    EngineAdapters a;
    a.databases = {{"default", &db}};
    a.caches = {{"default", &cache}};
    a.brokers = {{"default", &broker}};
    a.event_store = &store;
    return a;
  }
};

void BM_MemoryThroughput(benchmark::State& state) {
  World w;
  int64_t handled = 0;
  HandlerRegistration h;
  h.name = "H";
  h.stream = "orders";
  h.fn = [&handled](const Message&, HandlerContext&) {
    ++handled;
    return Status::Ok();
  };
  SubscriptionConfig c;
  c.messages_per_tick = 100;  // PRODUCTION's batch
  EngineOptions o;
  o.idle_poll = Millis(1);
  Engine engine(w.loop, w.prng, w.metrics, w.Adapters(), o, nullptr);
  if (!engine.AddSubscription(h, c).ok()) state.SkipWithError("subscription");
  engine.Start();
  const Fields fields = EncodeMessageFields("00000000-0000-4000-8000-000000000000", "OrderPlaced", "{}");
  for (auto _ : state) {
    const int64_t target = handled + kBatch;
    for (int i = 0; i < kBatch; ++i) (void)w.broker.Publish("orders", fields);
    while (handled < target) w.loop.Step();
    w.loop.RunFor(Millis(1));  // flush the last acks
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  auto pending = w.broker.Pending("orders", "H", "", 10);
  if (!pending.ok() || !pending->empty()) state.SkipWithError("messages left pending");
}
BENCHMARK(BM_MemoryThroughput)->Unit(benchmark::kMillisecond);

// The loop above over standard containers: a stream (deque), a pending list
// (hash map), a consumer reading batches of 100, handling and acking.
void BM_RawQueue(benchmark::State& state) {
  struct Entry {
    uint64_t id;
    std::string payload;
  };
  std::deque<Entry> stream;
  std::unordered_map<uint64_t, Entry> pending;
  uint64_t next_id = 1;
  int64_t handled = 0;
  const std::string payload = "{}";
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) stream.push_back(Entry{next_id++, payload});
    std::vector<uint64_t> acks;
    while (!stream.empty()) {
      for (int n = 0; n < 100 && !stream.empty(); ++n) {
        Entry e = std::move(stream.front());
        stream.pop_front();
        const uint64_t id = e.id;
        pending.emplace(id, std::move(e));
        benchmark::DoNotOptimize(pending[id].payload.size());
        ++handled;
        acks.push_back(id);
      }
      for (uint64_t id : acks) pending.erase(id);
      acks.clear();
    }
  }
  benchmark::DoNotOptimize(handled);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_RawQueue)->Unit(benchmark::kMillisecond);

// 200 messages that fail twice (1 s fixed retry delay) on 4 instances, then a
// shutdown whose drain waits 10 s for a slow handler.
void BM_SimAcceleration(benchmark::State& state) {
  double simulated_seconds = 0;
  for (auto _ : state) {
    World w;
    HandlerRegistration h;
    h.name = "H";
    h.stream = "orders";
    h.fn = [](const Message& m, HandlerContext& ctx) {
      if (m.type == "Slow") ctx.cost = Seconds(30);
      return m.attempt <= 2 ? Status::Internal("retry me") : Status::Ok();
    };
    SubscriptionConfig c;
    c.max_retries = 3;
    EngineOptions o;
    o.drain_timeout = Seconds(10);
    std::vector<std::unique_ptr<Engine>> engines;
    for (int i = 0; i < 4; ++i) {
      o.instance = "w" + std::to_string(i);
      engines.push_back(std::make_unique<Engine>(w.loop, w.prng, w.metrics, w.Adapters(), o, nullptr));
      (void)engines.back()->AddSubscription(h, c);
    }
    for (int i = 0; i < 200; ++i) {
      (void)w.broker.Publish("orders", EncodeMessageFields(std::to_string(i), "OrderPlaced", "{}"));
    }
    const TimePoint start = w.clock.Now();
    for (auto& e : engines) e->Start();
    w.loop.RunFor(Seconds(5));
    (void)w.broker.Publish("orders", EncodeMessageFields("slow", "Slow", "{}"));
    w.loop.RunFor(Seconds(3));
    int stopped = 0;
    for (auto& e : engines) e->Shutdown("SIGTERM", [&stopped](int) { ++stopped; });
    while (stopped < 4 && w.loop.Step()) {
    }
    simulated_seconds += ToSecondsF(w.clock.Now() - start);
  }
  state.counters["sim_acceleration"] =
      benchmark::Counter(simulated_seconds, benchmark::Counter::kIsRate);
  state.counters["sim_seconds_per_run"] =
      benchmark::Counter(simulated_seconds / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_SimAcceleration)->Unit(benchmark::kMillisecond);

const bool kExported = [] {
  bench::ExportMetric("BM_MemoryThroughput", "memory_throughput_msgs_per_s", "msgs/s");
  bench::ExportMetric("BM_RawQueue", "raw_queue_msgs_per_s", "msgs/s");
  bench::ExportMetric("BM_SimAcceleration", "sim_time_acceleration", "x", "sim_acceleration");
  return true;
}();

}  // namespace
}  // namespace protean
