#pragma once
// Forwarding wrappers for EventStore, Database and Cache, the siblings of
// BrokerWrapper (core/broker_wrapper.h): decorators override what they change,
// and Close() closes only the wrapper's view (later calls fail with
// kUnavailable) while the shared target stays open.

#include <atomic>

#include "core/cache.h"
#include "core/database.h"
#include "core/event_store.h"

namespace protean {

// Each wrapper calls its virtual Before(op) first: a decorator returns a
// non-ok Status to fail the call instead (faults).
#define PROTEAN_FORWARD(call)                                                \
  if (closed()) return Status::Unavailable(std::string(kind()) + " closed"); \
  if (Status st = Before(#call); !st.ok()) return st;                        \
  return target_->call

class EventStoreWrapper : public EventStore {
 public:
  explicit EventStoreWrapper(EventStore* target) : target_(target) {}
  EventStore* target() const { return target_; }
  bool closed() const { return closed_.load(); }
  static constexpr const char* kind() { return "event store connection"; }
  virtual Status Before(std::string_view /*op*/) { return Status::Ok(); }

  std::string_view provider() const override { return target_->provider(); }
  Status Ping() override { PROTEAN_FORWARD(Ping()); }
  void Close() override { closed_ = true; }
  Result<int64_t> Write(const NewEventMessage& m, std::optional<int64_t> expected) override {
    PROTEAN_FORWARD(Write(m, expected));
  }
  Result<std::vector<EventMessage>> ReadStream(std::string_view s, int64_t position,
                                               int64_t batch_size) override {
    PROTEAN_FORWARD(ReadStream(s, position, batch_size));
  }
  Result<std::vector<EventMessage>> ReadCategory(std::string_view c,
                                                 const CategoryRead& read) override {
    PROTEAN_FORWARD(ReadCategory(c, read));
  }
  Result<std::optional<EventMessage>> LastMessage(std::string_view s,
                                                  std::optional<std::string> type) override {
    PROTEAN_FORWARD(LastMessage(s, type));
  }
  Result<std::optional<int64_t>> StreamVersion(std::string_view s) override {
    PROTEAN_FORWARD(StreamVersion(s));
  }
  Result<std::optional<int64_t>> CategoryHead(std::string_view c) override {
    PROTEAN_FORWARD(CategoryHead(c));
  }

 private:
  EventStore* target_;
  std::atomic<bool> closed_{false};
};

class DatabaseWrapper : public Database {
 public:
  explicit DatabaseWrapper(Database* target) : target_(target) {}
  Database* target() const { return target_; }
  bool closed() const { return closed_.load(); }
  static constexpr const char* kind() { return "database connection"; }
  virtual Status Before(std::string_view /*op*/) { return Status::Ok(); }

  std::string_view provider() const override { return target_->provider(); }
  Status Ping() override { PROTEAN_FORWARD(Ping()); }
  void Close() override { closed_ = true; }
  Status Setup() override { PROTEAN_FORWARD(Setup()); }
  Result<std::optional<Record>> Get(std::string_view t, std::string_view k) override {
    PROTEAN_FORWARD(Get(t, k));
  }
  Result<int64_t> Put(std::string_view t, std::string_view k, std::string_view d,
                      std::optional<int64_t> expected) override {
    PROTEAN_FORWARD(Put(t, k, d, expected));
  }
  Result<bool> Remove(std::string_view t, std::string_view k) override {
    PROTEAN_FORWARD(Remove(t, k));
  }
  Result<std::vector<Record>> List(std::string_view t, std::string_view after,
                                   size_t limit) override {
    PROTEAN_FORWARD(List(t, after, limit));
  }
  Result<int64_t> Count(std::string_view t) override { PROTEAN_FORWARD(Count(t)); }
  PoolStats pool_stats() const override { return target_->pool_stats(); }

 private:
  Database* target_;
  std::atomic<bool> closed_{false};
};

class CacheWrapper : public Cache {
 public:
  explicit CacheWrapper(Cache* target) : target_(target) {}
  Cache* target() const { return target_; }
  bool closed() const { return closed_.load(); }
  static constexpr const char* kind() { return "cache connection"; }
  virtual Status Before(std::string_view /*op*/) { return Status::Ok(); }

  std::string_view provider() const override { return target_->provider(); }
  Status Ping() override { PROTEAN_FORWARD(Ping()); }
  void Close() override { closed_ = true; }
  Result<std::string> Get(std::string_view k) override { PROTEAN_FORWARD(Get(k)); }
  Status Set(std::string_view k, std::string_view v, std::optional<Duration> ttl) override {
    PROTEAN_FORWARD(Set(k, v, ttl));
  }
  Status SetKeepTtl(std::string_view k, std::string_view v) override {
    PROTEAN_FORWARD(SetKeepTtl(k, v));
  }
  Result<bool> Remove(std::string_view k) override { PROTEAN_FORWARD(Remove(k)); }
  Result<std::optional<Duration>> Ttl(std::string_view k) override { PROTEAN_FORWARD(Ttl(k)); }

 private:
  Cache* target_;
  std::atomic<bool> closed_{false};
};

#undef PROTEAN_FORWARD

}  // namespace protean
