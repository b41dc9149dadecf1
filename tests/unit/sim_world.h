#pragma once
// A simulated world for engine tests: one SimClock/SimExecutor, one seeded
// PRNG, shared memory backends, and a recorder of every engine event. Each
// engine gets its own BrokerWrapper over the shared broker, as each process
// has its own connection to a shared Redis.

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/memory/memory_broker.h"
#include "adapters/memory/memory_cache.h"
#include "adapters/memory/memory_database.h"
#include "adapters/memory/memory_event_store.h"
#include "app/history/event_json.h"
#include "core/broker_wrapper.h"
#include "core/engine/engine.h"
#include "core/engine/message.h"
#include "core/runtime/sim_executor.h"
#include "core/storage_wrappers.h"

namespace protean::testing {

class Recorder : public EngineObserver {
 public:
  void OnEngineEvent(const EngineEvent& e) override { events.push_back(e); }
  std::vector<EngineEvent> Of(EngineEventKind kind, const std::string& instance = "") const {
    std::vector<EngineEvent> out;
    for (const auto& e : events) {
      if (e.kind == kind && (instance.empty() || e.instance == instance)) out.push_back(e);
    }
    return out;
  }
  size_t Count(EngineEventKind kind) const { return Of(kind).size(); }
  std::vector<std::string> Steps() const {
    std::vector<std::string> out;
    for (const auto& e : Of(EngineEventKind::kShutdownStep)) out.push_back(e.detail);
    return out;
  }
  std::string History() const {
    std::string out;
    for (const auto& e : events) out += EngineEventToJson(e) + "\n";
    return out;
  }
  std::vector<EngineEvent> events;
};

class SimWorld {
 public:
  explicit SimWorld(uint64_t seed = 1)
      : loop(clock),
        prng(seed),
        ids(seed + 1000),
        broker(clock, "inline"),
        store(clock),
        cache(clock) {}

  // Publishes one message to `stream`; returns its message id.
  std::string Publish(const std::string& stream, const std::string& type = "OrderPlaced",
                      const std::string& data = "{}") {
    std::string id = ids.Uuid();
    auto r = broker.Publish(stream, EncodeMessageFields(id, type, data));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return id;
  }
  std::string PublishEvent(const std::string& stream, const std::string& type = "Happened") {
    NewEventMessage m;
    m.id = ids.Uuid();
    m.stream_name = stream;
    m.type = type;
    auto r = store.Write(m, std::nullopt);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return m.id;
  }

  EngineAdapters AdaptersFor(Broker* b) {
    EngineAdapters a;
    a.databases = {{"default", &db}};
    a.caches = {{"default", &cache}};
    a.brokers = {{"default", b}};
    a.event_store = &store;
    return a;
  }

  // An engine named `instance` with its own connections to the shared backends.
  Engine& AddEngine(const std::string& instance, EngineOptions options = {}) {
    options.instance = instance;
    if (!options.log) options.log = [this](const LogRecord& r) { log.push_back(FormatLogLine(r)); };
    wrappers.push_back(std::make_unique<BrokerWrapper>(&broker));
    store_wrappers.push_back(std::make_unique<EventStoreWrapper>(&store));
    db_wrappers.push_back(std::make_unique<DatabaseWrapper>(&db));
    cache_wrappers.push_back(std::make_unique<CacheWrapper>(&cache));
    EngineAdapters a;
    a.databases = {{"default", db_wrappers.back().get()}};
    a.caches = {{"default", cache_wrappers.back().get()}};
    a.brokers = {{"default", wrappers.back().get()}};
    a.event_store = store_wrappers.back().get();
    engines.push_back(std::make_unique<Engine>(loop, prng, metrics, a, options, &recorder));
    return *engines.back();
  }

  int64_t PendingCount(const std::string& stream, const std::string& group) {
    auto r = broker.Pending(stream, group, "", 100000);
    return r.ok() ? static_cast<int64_t>(r->size()) : -1;
  }
  int64_t DlqDepth(const std::string& stream) {
    auto r = broker.DlqDepth(DlqStreamName(stream));
    return r.ok() ? *r : -1;
  }

  SimClock clock;
  SimExecutor loop;
  Prng prng;
  Prng ids;
  MetricsRegistry metrics;
  MemoryBroker broker;
  MemoryEventStore store;
  MemoryDatabase db;
  MemoryCache cache;
  Recorder recorder;
  std::vector<std::string> log;
  std::vector<std::unique_ptr<BrokerWrapper>> wrappers;
  std::vector<std::unique_ptr<EventStoreWrapper>> store_wrappers;
  std::vector<std::unique_ptr<DatabaseWrapper>> db_wrappers;
  std::vector<std::unique_ptr<CacheWrapper>> cache_wrappers;
  std::vector<std::unique_ptr<Engine>> engines;
};

// A handler from a lambda.
inline HandlerRegistration MakeHandler(std::string name, std::string stream, HandlerFn fn) {
  HandlerRegistration h;
  h.name = std::move(name);
  h.stream = std::move(stream);
  h.fn = std::move(fn);
  return h;
}

inline HandlerFn Succeed() {
  return [](const Message&, HandlerContext&) { return Status::Ok(); };
}
inline HandlerFn FailFirst(int64_t n) {
  return [n](const Message& m, HandlerContext&) {
    return m.attempt <= n ? Status::Internal("boom on attempt " + std::to_string(m.attempt))
                          : Status::Ok();
  };
}
inline HandlerFn AlwaysFail() {
  return [](const Message&, HandlerContext&) { return Status::Internal("boom"); };
}
inline HandlerFn Taking(Duration d, HandlerFn inner = Succeed()) {
  return [d, inner](const Message& m, HandlerContext& ctx) {
    ctx.cost = d;
    return inner(m, ctx);
  };
}

inline SubscriptionConfig StreamConfig() {
  SubscriptionConfig c;
  c.claim_idle_seconds = 60;
  return c;
}

}  // namespace protean::testing
