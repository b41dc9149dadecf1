// Engine benchmarks (memory mode):
//   memory_throughput_msgs_per_s  publish -> handle -> ack through the engine,
//                                 no-op handler, one thread, SimExecutor
//   raw_queue_msgs_per_s          the same push/pop/ack loop over plain standard
//                                 containers: the ceiling the first is compared with
//   sim_time_acceleration         simulated seconds per wall second for a workload
//                                 dominated by 1 s retry delays and a 10 s drain
//   decode_envelope_msgs_per_s    broker entries decoded per second (Protean's envelope, this
//                                 engine's encoder, the checksum verified), one
//                                 thread: the decoding every path above pays
// Scaling section ({"scaling": ...} lines):
//   sim_run_s, sim_run_us_per_msg  wall time of a simulated run of 10k, 100k and
//                                 1M messages (all published at the start, no-op
//                                 handler, messages_per_tick 100), in all and per
//                                 message: linear when the per-message figure stays flat
#include <chrono>
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

// prefix + n (appended: GCC 12's -Wrestrict misfires on "x" + std::to_string(n)).
std::string Numbered(const char* prefix, int64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

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
  const Fields fields =
      EncodeMessageFields("00000000-0000-4000-8000-000000000000", "OrderPlaced", "{}");
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
      o.instance = Numbered("w", i);
      engines.push_back(
          std::make_unique<Engine>(w.loop, w.prng, w.metrics, w.Adapters(), o, nullptr));
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

// DecodeMessage of the entry ci/bench.sh's Redis benchmarks publish.
void BM_DecodeEnvelope(benchmark::State& state) {
  StreamEntry entry;
  entry.id = "1767225600000-0";
  entry.fields = EncodeMessageFields("bench-orders-12345", "Bench.OrderPlaced.v1",
                                     R"({"order_id":12345,"amount":"19.99"})");
  for (auto _ : state) {
    Result<Message> m = DecodeMessage("orders", entry);
    if (!m.ok()) return state.SkipWithError(m.status().ToString().c_str());
    benchmark::DoNotOptimize(m->data.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeEnvelope);

// N messages published at once, then the loop run until all are handled and
// acked; wall time of the whole run (publishing included).
void BM_SimRun(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) {
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
    c.messages_per_tick = 100;
    Engine engine(w.loop, w.prng, w.metrics, w.Adapters(), EngineOptions{}, nullptr);
    if (!engine.AddSubscription(h, c).ok()) return state.SkipWithError("subscription");
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < n; ++i) {
      (void)w.broker.Publish(
          "orders", EncodeMessageFields(Numbered("m", i), "OrderPlaced", R"({"order_id":1})"));
    }
    engine.Start();
    // Bounded: the loop never runs more than 10 steps per message.
    for (int64_t steps = 0; handled < n && steps < 10 * n + 1000; ++steps) w.loop.Step();
    w.loop.RunFor(Millis(10));  // flush the last acks
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto pending = w.broker.Pending("orders", "H", "", 10);
    if (handled < n || !pending.ok() || !pending->empty()) {
      return state.SkipWithError(("handled " + std::to_string(handled) + " of " +
                                  std::to_string(n) + " or entries left pending")
                                     .c_str());
    }
    state.SetIterationTime(seconds);  // the world's destruction is not part of the run
    state.counters["seconds"] = seconds;
    state.counters["us_per_msg"] = seconds * 1e6 / static_cast<double>(n);
  }
}
BENCHMARK(BM_SimRun)
    ->Arg(10000)
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1);

const bool kEngineExported = [] {
  bench::ExportMetric("BM_MemoryThroughput", "memory_throughput_msgs_per_s", "msgs/s");
  bench::ExportMetric("BM_RawQueue", "raw_queue_msgs_per_s", "msgs/s");
  bench::ExportMetric("BM_DecodeEnvelope", "decode_envelope_msgs_per_s", "msgs/s");
  bench::ExportMetric("BM_SimAcceleration", "sim_time_acceleration", "x", "sim_acceleration");
  for (int n : {10000, 100000, 1000000}) {
    const std::string name = "BM_SimRun/" + std::to_string(n);
    bench::ExportScaling(name, "sim_run_s", n, "s", "seconds");
    bench::ExportScaling(name, "sim_run_us_per_msg", n, "us", "us_per_msg");
  }
  return true;
}();

}  // namespace
}  // namespace protean
