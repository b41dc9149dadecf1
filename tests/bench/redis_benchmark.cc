// Redis benchmarks of real_benchmark. Each iteration measures every figure
// of a ratio back to back against the same server; a figure is the median of
// the iterations (min and max beside it):
//
// BM_RedisConsume, over one stream of kMessages Protean envelopes that every
// round reads through a consumer group of its own:
//   redis_consume_ack_msgs_per_s         the engine consuming and acking it
//                                        (no-op handler on a worker, the default)
//   redis_consume_ack_inline_msgs_per_s  the same with inline_on_loop
//   redis_raw_pipeline_msgs_per_s        plain hiredis: XREADGROUP COUNT 100, the
//                                        previous batch's XACK pipelined with it
//   peer_python_consume_ack_msgs_per_s   tests/bench/peer_consumer.py (redis-py,
//                                        Protean-shaped, XACK per message)
//   redis_consume_ack_over_raw           goal >= 0.7
//   redis_engine_over_peer_python        goal >= 20
// BM_RedisConcurrency, a handler sleeping 5 ms:
//   redis_concurrency1_msgs_per_s, redis_concurrency8_msgs_per_s
//   redis_concurrency8_over_1            goal >= 6
// Needs REDIS_URL (ci/services.sh); fails without it.
#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/broker_wrapper.h"
#include "core/engine/engine.h"
#include "tests/bench/bench_main.h"
#include "tests/bench/real_support.h"

namespace protean::bench {
namespace {

constexpr int kMessages = 20000;
constexpr auto kRoundTimeout = std::chrono::seconds(60);

struct EngineRound {
  std::string stream;
  std::string group;  // also the handler's name
  int64_t messages = kMessages;
  bool inline_on_loop = false;
  int64_t concurrency = 1;
  int workers = kWorkers;
  std::chrono::milliseconds handler_sleep{0};
};

// msgs/s of one engine consuming `round.messages` entries of the stream
// through a fresh group; nullopt after failing the benchmark.
std::optional<double> ConsumeWithEngine(benchmark::State& state, Broker* broker, redisContext* raw,
                                        const EngineRound& round) {
  if (!CreateGroup(raw, round.stream, round.group)) {
    state.SkipWithError(("XGROUP CREATE " + round.group + " failed").c_str());
    return std::nullopt;
  }
  // Everything a worker touches is declared before the executor (see real_support.h).
  Progress progress(round.messages);
  HandlerRegistration h;
  h.name = round.group;
  h.stream = round.stream;
  h.inline_on_loop = round.inline_on_loop;
  h.fn = [&progress, sleep = round.handler_sleep](const Message&, HandlerContext&) {
    if (sleep.count() > 0) std::this_thread::sleep_for(sleep);
    progress.Add();
    return Status::Ok();
  };
  SubscriptionConfig c = StreamConfig(kBatch);
  c.concurrency = round.concurrency;
  BrokerWrapper connection(broker);  // the engine's close closes only this
  EngineAdapters adapters;
  adapters.brokers = {{"default", &connection}};
  RealClock clock;
  Prng prng(std::random_device{}());  // as the server: ids differ per run
  MetricsRegistry metrics;
  RealExecutor loop(clock, round.workers);
  EngineOptions o;
  o.drain_timeout = Seconds(5);
  Engine engine(loop, prng, metrics, adapters, o, nullptr);
  if (Status st = engine.AddSubscription(h, c); !st.ok()) {
    state.SkipWithError(st.ToString().c_str());
    return std::nullopt;
  }
  const std::optional<double> seconds =
      RunEngine(state, loop, engine, progress,
                {std::to_string(round.messages) + " messages handled by " + round.group,
                 kRoundTimeout, std::chrono::seconds(10)});
  if (!seconds) return std::nullopt;
  if (const int64_t left = GroupPending(raw, round.stream, round.group); left != 0) {
    state.SkipWithError((round.group + ": " + std::to_string(left) + " left pending").c_str());
    return std::nullopt;
  }
  return static_cast<double>(round.messages) / *seconds;
}

// msgs/s of the hiredis loop reading `n` entries through a fresh group.
std::optional<double> ConsumeRaw(benchmark::State& state, redisContext* c,
                                 const std::string& stream, const std::string& group, int n) {
  if (!CreateGroup(c, stream, group)) {
    state.SkipWithError(("XGROUP CREATE " + group + " failed").c_str());
    return std::nullopt;
  }
  SetStep("raw pipeline: " + std::to_string(n) + " entries through " + group);
  const SteadyClock::time_point t0 = SteadyClock::now();
  const SteadyClock::time_point deadline = t0 + kRoundTimeout;
  const std::string batch = std::to_string(kBatch);
  int consumed = 0;
  std::vector<std::string> acks;
  auto append_ack = [&] {
    std::vector<const char*> argv = {"XACK", stream.c_str(), group.c_str()};
    for (const auto& id : acks) argv.push_back(id.c_str());
    redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), nullptr);
  };
  while (consumed < n) {
    if (SteadyClock::now() > deadline) {
      state.SkipWithError(("waited 60 s for " + std::to_string(n) + " entries read by " + group +
                           ": got " + std::to_string(consumed) + " of " + std::to_string(n))
                              .c_str());
      return std::nullopt;
    }
    // The previous batch's XACK and the next XREADGROUP, pipelined.
    const bool ack = !acks.empty();
    if (ack) append_ack();
    redisAppendCommand(c, "XREADGROUP GROUP %s c COUNT %s STREAMS %s >", group.c_str(),
                       batch.c_str(), stream.c_str());
    void* r = nullptr;
    if (ack) {
      if (redisGetReply(c, &r) != REDIS_OK) break;
      freeReplyObject(r);
    }
    if (redisGetReply(c, &r) != REDIS_OK) break;
    RedisReplyPtr reply(static_cast<redisReply*>(r));
    acks.clear();
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
      const redisReply* entries = reply->element[0]->element[1];
      for (size_t i = 0; i < entries->elements; ++i) {
        acks.emplace_back(entries->element[i]->element[0]->str);
        benchmark::DoNotOptimize(entries->element[i]->element[1]->elements);
      }
    }
    consumed += static_cast<int>(acks.size());
  }
  if (!acks.empty()) {
    append_ack();
    void* r = nullptr;
    if (redisGetReply(c, &r) == REDIS_OK) freeReplyObject(r);
  }
  const double seconds = SecondsSince(t0);
  if (c->err || GroupPending(c, stream, group) != 0) {
    state.SkipWithError(
        ("raw pipeline " + group + ": Redis failed or entries left pending").c_str());
    return std::nullopt;
  }
  return n / seconds;
}

// msgs/s that tests/bench/peer_consumer.py reports for `n` entries through a fresh group.
std::optional<double> ConsumePython(benchmark::State& state, redisContext* c,
                                    const std::string& stream, const std::string& group, int n) {
  if (!CreateGroup(c, stream, group)) {
    state.SkipWithError(("XGROUP CREATE " + group + " failed").c_str());
    return std::nullopt;
  }
  const char* python = Env("BENCH_PYTHON") ? Env("BENCH_PYTHON") : "/usr/bin/python3";
  const std::string script = std::string(PROTEAN_BENCH_DIR) + "/peer_consumer.py";
  ScratchDir dir("peer");
  const int timeout_s = 120;
  SetStep("python peer: " + std::to_string(n) + " entries through " + group);
  std::string why;
  std::optional<Child> child =
      Child::Spawn({python, script, "--url", Env("REDIS_URL"), "--stream", stream, "--group", group,
                    "--count", std::to_string(n), "--batch", std::to_string(kBatch), "--timeout",
                    std::to_string(timeout_s)},
                   dir / "out", dir / "err", &why);
  if (!child) {
    state.SkipWithError(why.c_str());
    return std::nullopt;
  }
  const std::optional<int> status = child->Wait(std::chrono::seconds(timeout_s + 10));
  const std::string out = ReadFile(dir / "out");
  const std::string err = ReadFile(dir / "err");
  if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    state.SkipWithError(
        (status ? "peer_consumer.py failed: " + err
                : "waited " + std::to_string(timeout_s + 10) + " s for peer_consumer.py to exit")
            .c_str());
    return std::nullopt;
  }
  const size_t at = out.find("\"msgs_per_s\":");
  if (at == std::string::npos) {
    state.SkipWithError(("peer_consumer.py printed no msgs_per_s: " + out).c_str());
    return std::nullopt;
  }
  return std::atof(out.c_str() + at + 13);
}

void BM_RedisConsume(benchmark::State& state) {
  Running running("BM_RedisConsume");
  std::string why;
  RedisConn raw = ConnectRedis(&why);
  if (raw == nullptr) return state.SkipWithError(why.c_str());
  RealClock clock;
  auto broker = MakeRedisBroker(clock);
  if (!broker.ok()) return state.SkipWithError(broker.status().ToString().c_str());
  const std::string stream = "bench:consume:" + std::to_string(getpid());
  SetStep("filling " + stream);
  if (!FillStream(raw.get(), stream, kMessages)) return state.SkipWithError("XADD failed");
  Samples engine, inline_engine, pipeline, python, over_raw, over_python;
  int round = 0;
  for (auto _ : state) {
    const std::string r = std::to_string(round++);
    // Each round back to back on the same entries; BENCH_ROUNDS may leave some out.
    std::optional<double> e, i, p, py;
    double seconds = 0;
    auto measure = [&](const char* name, std::optional<double>* rate, auto&& consume) {
      if (!RoundWanted(name)) return true;
      *rate = consume();
      if (*rate) seconds += kMessages / **rate;
      return rate->has_value();
    };
    if (!measure(
            "engine", &e,
            [&] {
              return ConsumeWithEngine(state, broker->get(), raw.get(), {stream, "engine-w" + r});
            }) ||
        !measure("inline", &i,
                 [&] {
                   return ConsumeWithEngine(state, broker->get(), raw.get(),
                                            {stream, "engine-i" + r, kMessages, true});
                 }) ||
        !measure("raw", &p,
                 [&] { return ConsumeRaw(state, raw.get(), stream, "raw" + r, kMessages); }) ||
        !measure("python", &py,
                 [&] { return ConsumePython(state, raw.get(), stream, "peer" + r, kMessages); })) {
      break;
    }
    if (e) engine.Add(*e);
    if (i) inline_engine.Add(*i);
    if (p) pipeline.Add(*p);
    if (py) python.Add(*py);
    if (e && p) over_raw.Add(*e / *p);
    if (e && py) over_python.Add(*e / *py);
    state.SetIterationTime(seconds);
  }
  Command(raw.get(), {"DEL", stream});
  engine.Publish(state, "engine");
  inline_engine.Publish(state, "inline");
  pipeline.Publish(state, "raw");
  python.Publish(state, "python");
  over_raw.Publish(state, "engine_over_raw");
  over_python.Publish(state, "engine_over_python");
}
BENCHMARK(BM_RedisConsume)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(3);

// A 5 ms handler with concurrency 1 and 8: rates from streams of 400 and
// 3200 messages (about 2 s each at the ideal rates).
void BM_RedisConcurrency(benchmark::State& state) {
  Running running("BM_RedisConcurrency");
  std::string why;
  RedisConn raw = ConnectRedis(&why);
  if (raw == nullptr) return state.SkipWithError(why.c_str());
  RealClock clock;
  auto broker = MakeRedisBroker(clock);
  if (!broker.ok()) return state.SkipWithError(broker.status().ToString().c_str());
  Samples one, eight, ratio;
  int round = 0;
  for (auto _ : state) {
    std::optional<double> rates[2];
    for (int k = 0; k < 2; ++k) {
      const int64_t concurrency = k == 0 ? 1 : 8;
      const int n = 400 * static_cast<int>(concurrency);
      const std::string stream = "bench:concurrency:" + std::to_string(getpid()) + ":" +
                                 std::to_string(round) + ":" + std::to_string(concurrency);
      SetStep("filling " + stream);
      if (!FillStream(raw.get(), stream, n)) return state.SkipWithError("XADD failed");
      EngineRound spec{stream, "concurrency" + std::to_string(concurrency), n};
      spec.concurrency = concurrency;
      spec.workers = static_cast<int>(concurrency) + 2;  // lanes + a fetch + an ack
      spec.handler_sleep = std::chrono::milliseconds(5);
      rates[k] = ConsumeWithEngine(state, broker->get(), raw.get(), spec);
      Command(raw.get(), {"DEL", stream});
      if (!rates[k]) return;
    }
    ++round;
    one.Add(*rates[0]);
    eight.Add(*rates[1]);
    ratio.Add(*rates[1] / *rates[0]);
    state.SetIterationTime(400 / *rates[0] + 3200 / *rates[1]);
  }
  one.Publish(state, "c1");
  eight.Publish(state, "c8");
  ratio.Publish(state, "c8_over_c1");
}
BENCHMARK(BM_RedisConcurrency)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(3);

const bool kRedisExported = [] {
  ExportMetric("BM_RedisConsume", "redis_consume_ack_msgs_per_s", "msgs/s", "engine");
  ExportMetric("BM_RedisConsume", "redis_consume_ack_inline_msgs_per_s", "msgs/s", "inline");
  ExportMetric("BM_RedisConsume", "redis_raw_pipeline_msgs_per_s", "msgs/s", "raw");
  ExportMetric("BM_RedisConsume", "peer_python_consume_ack_msgs_per_s", "msgs/s", "python");
  ExportMetric("BM_RedisConsume", "redis_consume_ack_over_raw", "ratio", "engine_over_raw");
  ExportMetric("BM_RedisConsume", "redis_engine_over_peer_python", "ratio", "engine_over_python");
  ExportMetric("BM_RedisConcurrency", "redis_concurrency1_msgs_per_s", "msgs/s", "c1");
  ExportMetric("BM_RedisConcurrency", "redis_concurrency8_msgs_per_s", "msgs/s", "c8");
  ExportMetric("BM_RedisConcurrency", "redis_concurrency8_over_1", "ratio", "c8_over_c1");
  return true;
}();

}  // namespace
}  // namespace protean::bench
