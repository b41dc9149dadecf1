// Real-backend benchmarks (test mode), each ratio measured in one run against
// the same server:
//   redis_consume_ack_msgs_per_s    the engine consuming and acking a stream
//                                   through RedisBroker (no-op handler on a
//                                   worker thread, the default)
//   redis_consume_ack_inline_msgs_per_s  the same with inline_on_loop
//   redis_raw_pipeline_msgs_per_s   a plain hiredis loop issuing the same
//                                   XREADGROUP (COUNT 100) and XACK, pipelined
//   messagedb_category_read_msgs_per_s  an event-store subscription reading a
//                                   category through MessageDbEventStore
//   messagedb_category_read_inline_msgs_per_s  the same with inline_on_loop
//   messagedb_raw_read_msgs_per_s   plain get_category_messages calls (batch 100)
// Needs REDIS_URL and MESSAGE_DB_URL (ci/services.sh); skips without them.
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <cstdlib>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "adapters/real/register.h"
#include "core/broker_wrapper.h"
#include "core/storage_wrappers.h"
#include "core/engine/engine.h"
#include "core/engine/message.h"
#include "core/runtime/real_executor.h"
#include "tests/bench/bench_main.h"

namespace protean {
namespace {

constexpr int kMessages = 20000;
constexpr int kEvents = 5000;
constexpr int kBatch = 100;
constexpr int kWorkers = 2;  // the machine has 2 cores

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

// host/port/db of redis://host:port/db (the CI form).
struct RedisAddr {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
};
RedisAddr ParseAddr(std::string url) {
  RedisAddr a;
  url = url.substr(url.find("//") + 2);
  const size_t at = url.find('@');
  if (at != std::string::npos) url = url.substr(at + 1);
  const size_t slash = url.find('/');
  std::string hostport = url.substr(0, slash);
  if (slash != std::string::npos && slash + 1 < url.size()) a.db = std::stoi(url.substr(slash + 1));
  const size_t colon = hostport.rfind(':');
  a.host = hostport.substr(0, colon);
  if (colon != std::string::npos) a.port = std::stoi(hostport.substr(colon + 1));
  return a;
}

redisContext* Connect(const RedisAddr& a) {
  redisContext* c = redisConnect(a.host.c_str(), a.port);
  if (c == nullptr || c->err) return nullptr;
  freeReplyObject(redisCommand(c, "SELECT %d", a.db));
  return c;
}

// Fills `stream` with n messages in pipelined batches (not timed).
void Fill(redisContext* c, const std::string& stream, int n) {
  const std::string data = R"({"order_id":42,"amount":"19.99"})";
  for (int i = 0; i < n; i += 500) {
    const int m = std::min(500, n - i);
    for (int k = 0; k < m; ++k) {
      redisAppendCommand(c, "XADD %s * id %d type OrderPlaced data %s", stream.c_str(), i + k,
                         data.c_str());
    }
    for (int k = 0; k < m; ++k) {
      void* r = nullptr;
      redisGetReply(c, &r);
      freeReplyObject(r);
    }
  }
}

// state.range(0): 1 = the handler runs on the loop (inline_on_loop), 0 = on
// a worker thread (the default).
void BM_RedisConsumeAck(benchmark::State& state) {
  const char* url = Env("REDIS_URL");
  if (url == nullptr) return state.SkipWithError("REDIS_URL not set (ci/services.sh start)");
  redisContext* raw = Connect(ParseAddr(url));
  if (raw == nullptr) return state.SkipWithError("cannot connect to REDIS_URL");
  AdapterRegistry registry;
  RegisterRealAdapters(registry);
  RealClock clock;
  config::BrokerConfig bc;
  bc.name = "default";
  bc.provider = "redis";
  bc.uri = url;
  bc.max_connections = 16;
  auto broker = registry.CreateBroker(bc, AdapterEnv{&clock});
  if (!broker.ok()) return state.SkipWithError(broker.status().ToString().c_str());
  int round = 0;
  for (auto _ : state) {
    const std::string stream = "bench:engine:" + std::to_string(getpid()) + ":" + std::to_string(round++);
    Fill(raw, stream, kMessages);
    std::atomic<int> handled{0};
    HandlerRegistration h;
    h.name = "Bench";
    h.stream = stream;
    h.inline_on_loop = state.range(0) == 1;
    h.fn = [&handled](const Message&, HandlerContext&) {
      handled.fetch_add(1, std::memory_order_relaxed);
      return Status::Ok();
    };
    SubscriptionConfig c;
    c.messages_per_tick = kBatch;
    c.blocking_timeout_ms = 100;
    RealExecutor loop(clock, kWorkers);
    Prng prng(1);
    MetricsRegistry metrics;
    BrokerWrapper connection(broker->get());  // the engine's close closes only this
    EngineAdapters adapters;
    adapters.brokers = {{"default", &connection}};
    EngineOptions o;
    Engine engine(loop, prng, metrics, adapters, o, nullptr);
    (void)engine.AddSubscription(h, c);
    // Timed: from Start to the last message handled. The shutdown (which
    // flushes the last batch's acks and waits out an idle blocking read) is not.
    const auto t0 = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point t1;
    loop.Post([&] { engine.Start(); });
    std::function<void()> check = [&] {
      if (handled.load() >= kMessages) {
        t1 = std::chrono::steady_clock::now();
        engine.Shutdown("bench", [&](int) { loop.Stop(); });
      } else {
        loop.PostAfter(Duration(200), check);
      }
    };
    loop.PostAfter(Duration(200), check);
    loop.Run();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    auto pending = (*broker)->Pending(stream, "Bench", "", 10);
    freeReplyObject(redisCommand(raw, "DEL %s", stream.c_str()));
    if (!pending.ok() || !pending->empty()) {
      state.SkipWithError("messages left pending");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
  redisFree(raw);
}
BENCHMARK(BM_RedisConsumeAck)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(3);

void BM_RedisRawPipeline(benchmark::State& state) {
  const char* url = Env("REDIS_URL");
  if (url == nullptr) return state.SkipWithError("REDIS_URL not set (ci/services.sh start)");
  redisContext* c = Connect(ParseAddr(url));
  if (c == nullptr) return state.SkipWithError("cannot connect to REDIS_URL");
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string stream = "bench:raw:" + std::to_string(getpid()) + ":" + std::to_string(round++);
    Fill(c, stream, kMessages);
    freeReplyObject(redisCommand(c, "XGROUP CREATE %s g 0", stream.c_str()));
    state.ResumeTiming();
    int consumed = 0;
    std::vector<std::string> acks;
    while (consumed < kMessages) {
      // The previous batch's XACK and the next XREADGROUP, pipelined.
      const bool ack = !acks.empty();
      if (ack) {
        std::vector<const char*> argv = {"XACK", stream.c_str(), "g"};
        for (const auto& id : acks) argv.push_back(id.c_str());
        redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), nullptr);
      }
      redisAppendCommand(c, "XREADGROUP GROUP g c COUNT %d STREAMS %s >", kBatch, stream.c_str());
      void* r = nullptr;
      if (ack) {
        redisGetReply(c, &r);
        freeReplyObject(r);
      }
      redisGetReply(c, &r);
      auto* reply = static_cast<redisReply*>(r);
      acks.clear();
      if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        redisReply* entries = reply->element[0]->element[1];
        for (size_t i = 0; i < entries->elements; ++i) {
          acks.emplace_back(entries->element[i]->element[0]->str);
          benchmark::DoNotOptimize(entries->element[i]->element[1]->elements);
        }
      }
      consumed += static_cast<int>(acks.size());
      freeReplyObject(reply);
    }
    std::vector<const char*> argv = {"XACK", stream.c_str(), "g"};
    for (const auto& id : acks) argv.push_back(id.c_str());
    freeReplyObject(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), nullptr));
    state.PauseTiming();
    freeReplyObject(redisCommand(c, "DEL %s", stream.c_str()));
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
  redisFree(c);
}
BENCHMARK(BM_RedisRawPipeline)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// One category of kEvents messages written once per process.
const std::string& FilledCategory(EventStore& store) {
  static std::string category;
  if (!category.empty()) return category;
  // Message DB keeps every id it ever saw: ids and the category are unique per run.
  Prng ids(std::random_device{}());
  category = "benchcat" + std::to_string(getpid()) + "x" + ids.Uuid().substr(0, 8);
  for (int i = 0; i < kEvents; ++i) {
    NewEventMessage m;
    m.id = ids.Uuid();
    m.stream_name = category + "-" + std::to_string(i % 50);
    m.type = "Happened";
    m.data = R"({"order_id":42,"amount":"19.99"})";
    Result<int64_t> r = store.Write(m, std::nullopt);
    if (!r.ok()) {
      std::fprintf(stderr, "filling %s: %s\n", category.c_str(), r.status().ToString().c_str());
      break;
    }
  }
  return category;
}

std::unique_ptr<EventStore> MessageDb(RealClock& clock, benchmark::State& state) {
  const char* url = Env("MESSAGE_DB_URL");
  if (url == nullptr) {
    state.SkipWithError("MESSAGE_DB_URL not set (ci/services.sh start)");
    return nullptr;
  }
  AdapterRegistry registry;
  RegisterRealAdapters(registry);
  config::EventStoreConfig ec;
  ec.provider = "message_db";
  ec.database_uri = url;
  auto store = registry.CreateEventStore(ec, AdapterEnv{&clock});
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return nullptr;
  }
  return std::move(*store);
}

void BM_MessageDbCategoryRead(benchmark::State& state) {
  RealClock clock;
  std::unique_ptr<EventStore> store = MessageDb(clock, state);
  if (!store) return;
  const std::string category = FilledCategory(*store);
  int round = 0;
  for (auto _ : state) {
    std::atomic<int> handled{0};
    HandlerRegistration h;
    h.name = "Bench" + std::to_string(round++);  // a fresh position stream each round
    h.stream = category;
    h.inline_on_loop = state.range(0) == 1;
    h.fn = [&handled](const Message&, HandlerContext&) {
      handled.fetch_add(1, std::memory_order_relaxed);
      return Status::Ok();
    };
    SubscriptionConfig c;
    c.type = SubscriptionType::kEventStore;
    c.enable_dlq = false;
    c.messages_per_tick = kBatch;
    c.position_update_interval = 1000;
    RealExecutor loop(clock, kWorkers);
    Prng prng(1);
    MetricsRegistry metrics;
    EventStoreWrapper connection(store.get());
    EngineAdapters adapters;
    adapters.event_store = &connection;
    Engine engine(loop, prng, metrics, adapters, EngineOptions{}, nullptr);
    (void)engine.AddSubscription(h, c);
    const auto t0 = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point t1;
    loop.Post([&] { engine.Start(); });
    std::function<void()> check = [&] {
      if (handled.load() >= kEvents) {
        t1 = std::chrono::steady_clock::now();
        loop.Stop();
      } else {
        loop.PostAfter(Duration(200), check);
      }
    };
    loop.PostAfter(Duration(200), check);
    loop.Run();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    engine.Crash();  // stop without writing the position
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_MessageDbCategoryRead)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(3);

void BM_MessageDbRawRead(benchmark::State& state) {
  RealClock clock;
  std::unique_ptr<EventStore> store = MessageDb(clock, state);
  if (!store) return;
  const std::string category = FilledCategory(*store);
  std::string uri = Env("MESSAGE_DB_URL");
  uri += (uri.find('?') == std::string::npos ? "?" : "&");
  uri += "options=-c%20search_path%3Dmessage_store%2Cpublic";
  pqxx::connection conn(uri);
  conn.prepare("read", "SELECT global_position, data FROM get_category_messages($1::varchar, $2::bigint, $3::bigint)");
  for (auto _ : state) {
    int64_t position = 1;
    int read = 0;
    while (read < kEvents) {
      pqxx::nontransaction tx(conn);
      pqxx::result r = tx.exec_prepared("read", category, position, kBatch);
      if (r.empty()) break;
      for (const auto& row : r) {
        position = row[0].as<int64_t>() + 1;
        benchmark::DoNotOptimize(row[1].c_str());
        ++read;
      }
    }
    if (read < kEvents) state.SkipWithError("category shorter than expected");
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_MessageDbRawRead)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

const bool kExported = [] {
  bench::ExportMetric("BM_RedisConsumeAck/0", "redis_consume_ack_msgs_per_s", "msgs/s");
  bench::ExportMetric("BM_RedisConsumeAck/1", "redis_consume_ack_inline_msgs_per_s", "msgs/s");
  bench::ExportMetric("BM_RedisRawPipeline", "redis_raw_pipeline_msgs_per_s", "msgs/s");
  bench::ExportMetric("BM_MessageDbCategoryRead/0", "messagedb_category_read_msgs_per_s", "msgs/s");
  bench::ExportMetric("BM_MessageDbCategoryRead/1", "messagedb_category_read_inline_msgs_per_s",
                      "msgs/s");
  bench::ExportMetric("BM_MessageDbRawRead", "messagedb_raw_read_msgs_per_s", "msgs/s");
  return true;
}();

}  // namespace
}  // namespace protean
