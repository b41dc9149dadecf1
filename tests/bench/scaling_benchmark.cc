// How cost grows (real_benchmark, Redis): one {"scaling": ...} line per point.
// processes and subscriptions: the median of 3 runs, with min and max.
//   processes       msgs/s of 1, 2 and 4 `protean server` processes (scripted
//                   no-op handler) draining one stream of kProcessMessages,
//                   from the group's first read to the last ack (XINFO GROUPS)
//   subscriptions   msgs/s of one engine with 1, 10 and 100 subscriptions, each
//                   on a stream of its own, kScalingMessages in all (8 workers, as the server)
//   rss_per_10k_pending  MiB of VmRSS per 10,000 entries a blocked handler's
//                   subscription holds (delivered, not acked), at 10k and 50k held
//   claim_100k_idle_broker  s for RedisBroker::AutoClaim (pages of 100) to take
//                   100,000 entries idle with a dead consumer
//   claim_100k_idle_engine  s for an engine (claim_idle 50 ms) to claim and handle them
// Needs REDIS_URL; processes needs the protean binary ($PROTEAN_BIN, default
// the one built beside this benchmark).
#include <malloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/broker_wrapper.h"
#include "core/engine/engine.h"
#include "core/engine/message.h"
#include "tests/bench/bench_main.h"
#include "tests/bench/real_support.h"

namespace protean::bench {
namespace {

constexpr int kScalingMessages = 50000;   // over all subscriptions
constexpr int kProcessMessages = 150000;  // over all processes
constexpr int kIdleEntries = 100000;
constexpr int kServerWorkers = 8;  // what `protean server` runs with

// Polls `done` every 5 ms for up to `timeout`; on timeout fails the benchmark
// with "waited N s for <what>: got <got()> of <want>".
bool WaitFor(benchmark::State& state, const std::string& what, std::chrono::seconds timeout,
             const std::function<bool()>& done, const std::function<int64_t()>& got, int64_t want) {
  SetStep("waiting for " + what);
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  while (!done()) {
    if (SteadyClock::now() > deadline) {
      state.SkipWithError(("waited " + std::to_string(timeout.count()) + " s for " + what +
                           ": got " + std::to_string(got()) + " of " + std::to_string(want))
                              .c_str());
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string ProteanBinary() {
  return Env("PROTEAN_BIN") ? Env("PROTEAN_BIN") : PROTEAN_BIN_DEFAULT;
}

// Whether `protean server` takes --instance (branch server9): without it every
// process is the same consumer of the group.
bool ServerTakesInstance() {
  static const bool takes = [] {
    ScratchDir dir("help");
    std::string why;
    std::optional<Child> c =
        Child::Spawn({ProteanBinary(), "server", "--help"}, dir / "out", dir / "err", &why);
    if (!c || !c->Wait(std::chrono::seconds(10))) return false;
    return ReadFile(dir / "out").find("--instance") != std::string::npos;
  }();
  return takes;
}

void BM_ScalingProcesses(benchmark::State& state) {
  const int processes = static_cast<int>(state.range(0));
  Running running("BM_ScalingProcesses/" + std::to_string(processes));
  std::string why;
  RedisConn raw = ConnectRedis(&why);
  if (raw == nullptr) return state.SkipWithError(why.c_str());
  const std::string stream =
      "bench:procs:" + std::to_string(getpid()) + ":" + std::to_string(processes);
  const std::string group = "Sink";
  Samples rate;
  for (auto _ : state) {
    SetStep("filling " + stream);
    if (!FillStream(raw.get(), stream, kProcessMessages)) return state.SkipWithError("XADD failed");
    ScratchDir dir("procs" + std::to_string(processes));
    dir.Keep();  // until the servers stopped cleanly: their logs tell why not
    std::ofstream(dir / "domain.toml")
        << "[databases.default]\nprovider = \"memory\"\n"
        << "[brokers.default]\nprovider = \"redis\"\nURI = \"" << Env("REDIS_URL") << "\"\n"
        << "[event_store]\nprovider = \"memory\"\n"
        << "[server]\nmessages_per_tick = 100\n"
        << "[server.stream_subscription]\nblocking_timeout_ms = 100\n"
        << "[server.health]\nenabled = false\n"
        << "[handlers." << group << "]\nstream = \"" << stream << "\"\n";
    std::vector<Child> servers;
    for (int i = 0; i < processes; ++i) {
      std::vector<std::string> argv = {ProteanBinary(), "server",    "--domain",
                                       dir.path(),      "--run-for", "300"};
      if (ServerTakesInstance()) argv.insert(argv.end(), {"--instance", Numbered("p", i)});
      const std::string log = dir / ("server" + std::to_string(i));
      std::optional<Child> c = Child::Spawn(argv, log + ".out", log + ".err", &why);
      if (!c) return state.SkipWithError(why.c_str());
      servers.push_back(std::move(*c));
    }
    auto read = [&] { return GroupEntriesRead(raw.get(), stream, group); };
    auto pending = [&] { return GroupPending(raw.get(), stream, group); };
    if (!WaitFor(
            state, "the first read of " + group, std::chrono::seconds(30),
            [&] { return read() > 0; }, read, 1)) {
      return;
    }
    const SteadyClock::time_point t0 = SteadyClock::now();
    if (!WaitFor(
            state,
            std::to_string(kProcessMessages) + " entries acked by " + std::to_string(processes) +
                " servers",
            std::chrono::seconds(120), [&] { return read() >= kProcessMessages && pending() == 0; },
            read, kProcessMessages)) {
      return;
    }
    const double seconds = SecondsSince(t0);
    SetStep("stopping the servers");
    for (Child& c : servers) c.Signal(SIGTERM);
    for (Child& c : servers) {
      const std::optional<int> status = c.Wait(std::chrono::seconds(20));
      if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
        return state.SkipWithError(
            ("protean server did not exit 0 within 20 s of SIGTERM; logs in " + dir.path())
                .c_str());
      }
    }
    Command(raw.get(), {"DEL", stream});
    dir.Keep(false);
    state.SetIterationTime(seconds);
    rate.Add(kProcessMessages / seconds);
  }
  rate.Publish(state, "msgs_per_s");
}
BENCHMARK(BM_ScalingProcesses)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(3);

void BM_ScalingSubscriptions(benchmark::State& state) {
  const int subscriptions = static_cast<int>(state.range(0));
  Running running("BM_ScalingSubscriptions/" + std::to_string(subscriptions));
  std::string why;
  RedisConn raw = ConnectRedis(&why);
  if (raw == nullptr) return state.SkipWithError(why.c_str());
  RealClock clock;
  auto broker = MakeRedisBroker(clock);
  if (!broker.ok()) return state.SkipWithError(broker.status().ToString().c_str());
  const int per_stream = kScalingMessages / subscriptions;
  Samples rate;
  for (auto _ : state) {
    std::vector<HandlerRegistration> handlers(static_cast<size_t>(subscriptions));
    SetStep("filling " + std::to_string(subscriptions) + " streams");
    Progress progress(static_cast<int64_t>(per_stream) * subscriptions);
    for (int s = 0; s < subscriptions; ++s) {
      HandlerRegistration& h = handlers[static_cast<size_t>(s)];
      h.name = "Sub" + std::to_string(s);
      h.stream = "bench:subs:" + std::to_string(getpid()) + ":" + std::to_string(subscriptions) +
                 ":" + std::to_string(s);
      h.fn = [&progress](const Message&, HandlerContext&) {
        progress.Add();
        return Status::Ok();
      };
      if (!FillStream(raw.get(), h.stream, per_stream) ||
          !CreateGroup(raw.get(), h.stream, h.name)) {
        return state.SkipWithError("XADD or XGROUP CREATE failed");
      }
    }
    BrokerWrapper connection(broker->get());
    EngineAdapters adapters;
    adapters.brokers = {{"default", &connection}};
    Prng prng(std::random_device{}());  // as the server: ids differ per run
    MetricsRegistry metrics;
    RealExecutor loop(clock, kServerWorkers);
    EngineOptions o;
    o.drain_timeout = Seconds(5);
    o.worker_threads = kServerWorkers;  // as Domain::MakeEngineOptions
    Engine engine(loop, prng, metrics, adapters, o, nullptr);
    for (const HandlerRegistration& h : handlers) {
      if (Status st = engine.AddSubscription(h, StreamConfig()); !st.ok()) {
        return state.SkipWithError(st.ToString().c_str());
      }
    }
    const std::optional<double> seconds =
        RunEngine(state, loop, engine, progress,
                  {std::to_string(progress.want()) + " messages over " +
                       std::to_string(subscriptions) + " subscriptions",
                   std::chrono::seconds(120), std::chrono::seconds(20)});
    for (const HandlerRegistration& h : handlers) Command(raw.get(), {"DEL", h.stream});
    if (!seconds) return;
    state.SetIterationTime(*seconds);
    rate.Add(static_cast<double>(progress.want()) / *seconds);
  }
  rate.Publish(state, "msgs_per_s");
}
BENCHMARK(BM_ScalingSubscriptions)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(3);

// Entries held by one subscription whose handler blocks: the first batch in
// the worker's sequence, the next one fetched ahead (2 x messages_per_tick).
void BM_ScalingPendingRss(benchmark::State& state) {
  const int held = static_cast<int>(state.range(0));
  Running running("BM_ScalingPendingRss/" + std::to_string(held));
  std::string why;
  RedisConn raw = ConnectRedis(&why);
  if (raw == nullptr) return state.SkipWithError(why.c_str());
  RealClock clock;
  auto broker = MakeRedisBroker(clock);
  if (!broker.ok()) return state.SkipWithError(broker.status().ToString().c_str());
  const std::string stream = "bench:rss:" + std::to_string(getpid()) + ":" + std::to_string(held);
  for (auto _ : state) {
    SetStep("filling " + stream);
    if (!FillStream(raw.get(), stream, held) || !CreateGroup(raw.get(), stream, "Holder")) {
      return state.SkipWithError("XADD or XGROUP CREATE failed");
    }
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    Progress progress(held);
    HandlerRegistration h;
    h.name = "Holder";
    h.stream = stream;
    h.fn = [&](const Message&, HandlerContext&) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, std::chrono::seconds(60), [&] { return release; });  // bounded
      progress.Add();
      return Status::Ok();
    };
    BrokerWrapper connection(broker->get());
    EngineAdapters adapters;
    adapters.brokers = {{"default", &connection}};
    Prng prng(std::random_device{}());  // as the server: ids differ per run
    MetricsRegistry metrics;
    RealExecutor loop(clock, 2);
    EngineOptions o;
    o.drain_timeout = Seconds(5);
    Engine engine(loop, prng, metrics, adapters, o, nullptr);
    if (Status st = engine.AddSubscription(h, StreamConfig(held / 2)); !st.ok()) {
      return state.SkipWithError(st.ToString().c_str());
    }
    malloc_trim(0);  // freed memory would otherwise be reused and hide the growth
    const int64_t before = RssBytes();
    int64_t after = 0;
    // A thread watches the group while the loop runs: once every entry is
    // pending it reads the RSS and lets the handler go.
    std::thread watcher([&] {
      std::string watcher_why;
      RedisConn c = ConnectRedis(&watcher_why);
      const SteadyClock::time_point deadline = SteadyClock::now() + std::chrono::seconds(60);
      while (c != nullptr && GroupPending(c.get(), stream, "Holder") < held &&
             SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the last batch decoded
      after = RssBytes();
      std::lock_guard<std::mutex> lock(mu);
      release = true;
      cv.notify_all();
    });
    const std::optional<double> seconds =
        RunEngine(state, loop, engine, progress,
                  {std::to_string(held) + " held entries handled", std::chrono::seconds(120),
                   std::chrono::seconds(10)});
    watcher.join();
    Command(raw.get(), {"DEL", stream});
    if (!seconds) return;
    state.SetIterationTime(*seconds);
    state.counters["entry_bytes"] =
        static_cast<double>(EncodeMessageFields("bench-" + stream + "-0", "Bench.OrderPlaced.v1",
                                                R"({"order_id":0,"amount":"19.99"})")[0]
                                .second.size());
    state.counters["mib_per_10k"] =
        static_cast<double>(after - before) / (1 << 20) / (held / 10000.0);
  }
}
BENCHMARK(BM_ScalingPendingRss)
    ->Arg(10000)
    ->Arg(50000)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1);

// 100,000 entries delivered to a consumer that died (never acked).
bool DeliverToDeadConsumer(redisContext* c, const std::string& stream, const std::string& group) {
  if (!CreateGroup(c, stream, group)) return false;
  for (int read = 0; read < kIdleEntries; read += 10000) {
    RedisReplyPtr r = Command(
        c, {"XREADGROUP", "GROUP", group, "dead", "COUNT", "10000", "STREAMS", stream, ">"});
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return false;
  }
  return GroupPending(c, stream, group) == kIdleEntries;
}

void BM_ScalingClaim(benchmark::State& state) {
  Running running("BM_ScalingClaim");
  std::string why;
  RedisConn raw = ConnectRedis(&why);
  if (raw == nullptr) return state.SkipWithError(why.c_str());
  RealClock clock;
  auto broker = MakeRedisBroker(clock);
  if (!broker.ok()) return state.SkipWithError(broker.status().ToString().c_str());
  const std::string stream = "bench:claim:" + std::to_string(getpid());
  for (auto _ : state) {
    SetStep("filling " + stream + " and delivering it to a dead consumer");
    if (!FillStream(raw.get(), stream, kIdleEntries) ||
        !DeliverToDeadConsumer(raw.get(), stream, "ByBroker") ||
        !DeliverToDeadConsumer(raw.get(), stream, "Claimer")) {
      return state.SkipWithError("filling or delivering the idle entries failed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // idle > 50 ms
    // The broker alone: XAUTOCLAIM pages of 100 until the scan wraps.
    SetStep("AutoClaim over " + std::to_string(kIdleEntries) + " idle entries");
    const SteadyClock::time_point t0 = SteadyClock::now();
    std::string cursor(kClaimScanStart);
    int64_t claimed = 0;
    do {
      Result<ClaimResult> r =
          (*broker)->AutoClaim(stream, "ByBroker", "alive", Millis(50), cursor, 100);
      if (!r.ok()) return state.SkipWithError(r.status().ToString().c_str());
      claimed += static_cast<int64_t>(r->claimed.size());
      cursor = r->next_cursor;
    } while (cursor != kClaimScanStart && SecondsSince(t0) < 120);
    const double broker_seconds = SecondsSince(t0);
    if (claimed != kIdleEntries) {
      return state.SkipWithError(("AutoClaim took " + std::to_string(claimed) + " of " +
                                  std::to_string(kIdleEntries) + " idle entries")
                                     .c_str());
    }
    // The engine: claims (every claim_idle / 2, up to 10 pages) and handles them.
    Progress progress(kIdleEntries);
    HandlerRegistration h;
    h.name = "Claimer";
    h.stream = stream;
    h.fn = [&progress](const Message&, HandlerContext&) {
      progress.Add();
      return Status::Ok();
    };
    SubscriptionConfig c = StreamConfig();
    c.claim_idle_seconds = 0.05;
    BrokerWrapper connection(broker->get());
    EngineAdapters adapters;
    adapters.brokers = {{"default", &connection}};
    Prng prng(std::random_device{}());  // as the server: ids differ per run
    MetricsRegistry metrics;
    RealExecutor loop(clock, 2);
    EngineOptions o;
    o.drain_timeout = Seconds(5);
    Engine engine(loop, prng, metrics, adapters, o, nullptr);
    if (Status st = engine.AddSubscription(h, c); !st.ok()) {
      return state.SkipWithError(st.ToString().c_str());
    }
    const std::optional<double> engine_seconds =
        RunEngine(state, loop, engine, progress,
                  {std::to_string(kIdleEntries) + " idle entries claimed and handled",
                   std::chrono::seconds(180), std::chrono::seconds(10)});
    Command(raw.get(), {"DEL", stream});
    if (!engine_seconds) return;
    state.SetIterationTime(broker_seconds + *engine_seconds);
    state.counters["broker_s"] = broker_seconds;
    state.counters["engine_s"] = *engine_seconds;
  }
}
BENCHMARK(BM_ScalingClaim)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(1);

const bool kScalingExported = [] {
  for (int n : {1, 2, 4}) {
    ExportScaling("BM_ScalingProcesses/" + std::to_string(n), "processes", n, "msgs/s",
                  "msgs_per_s");
  }
  for (int n : {1, 10, 100}) {
    ExportScaling("BM_ScalingSubscriptions/" + std::to_string(n), "subscriptions", n, "msgs/s",
                  "msgs_per_s");
  }
  for (int n : {10000, 50000}) {
    ExportScaling("BM_ScalingPendingRss/" + std::to_string(n), "rss_per_10k_pending", n, "MiB",
                  "mib_per_10k");
  }
  ExportScaling("BM_ScalingClaim", "claim_100k_idle_broker", kIdleEntries, "s", "broker_s");
  ExportScaling("BM_ScalingClaim", "claim_100k_idle_engine", kIdleEntries, "s", "engine_s");
  return true;
}();

}  // namespace
}  // namespace protean::bench
