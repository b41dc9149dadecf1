#pragma once
// BrokerWrapper forwards every call to another Broker. Decorators derive from
// it and override only what they change (FaultyBroker in the harness, test
// doubles), like leveldb's EnvWrapper. The target must outlive the wrapper.
//
// Close() closes only the wrapper's view: later calls through it fail with
// kUnavailable, and the target stays open. That is how one simulated process
// "closes its connection" to a broker shared by several processes.

#include <atomic>

#include "core/broker.h"

namespace protean {

class BrokerWrapper : public Broker {
 public:
  explicit BrokerWrapper(Broker* target) : target_(target) {}
  Broker* target() const { return target_; }
  bool closed() const { return closed_.load(); }

  std::string_view provider() const override { return target_->provider(); }
  BrokerCapabilities capabilities() const override { return target_->capabilities(); }
  void Close() override { closed_ = true; }

  // Called before every forwarded call except provider/capabilities/Close;
  // a decorator returns a non-ok Status to fail the call instead (faults).
  virtual Status Before(std::string_view /*op*/) { return Status::Ok(); }
  // Called after a call Before let through; a non-ok Status replaces its
  // result while its effect stands (a reply lost on the way back).
  virtual Status After(std::string_view /*op*/) { return Status::Ok(); }

#define PROTEAN_FORWARD(call)                         \
  if (closed()) return Closed();                      \
  if (Status st = Before(#call); !st.ok()) return st; \
  auto result = target_->call;                        \
  if (Status st = After(#call); !st.ok()) return st;  \
  return result
  Status Ping() override { PROTEAN_FORWARD(Ping()); }
  Result<std::string> Publish(std::string_view stream, const Fields& fields) override {
    PROTEAN_FORWARD(Publish(stream, fields));
  }
  Status CreateGroup(std::string_view stream, std::string_view group, GroupStart start) override {
    PROTEAN_FORWARD(CreateGroup(stream, group, start));
  }
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override {
    PROTEAN_FORWARD(ReadNew(stream, group, consumer, count, block));
  }
  int64_t GroupRecreations(std::string_view stream, std::string_view group) const override {
    return target_->GroupRecreations(stream, group);
  }
  // Not a call that can fail, so no Before(): a stop wakes the target's read.
  void WakeReads(std::string_view stream, std::string_view group,
                 std::string_view consumer) override {
    if (!closed()) target_->WakeReads(stream, group, consumer);
  }
  Result<std::vector<StreamEntry>> ReadPending(std::string_view stream, std::string_view group,
                                               std::string_view consumer, std::string_view after_id,
                                               int count) override {
    PROTEAN_FORWARD(ReadPending(stream, group, consumer, after_id, count));
  }
  Result<int64_t> Ack(std::string_view stream, std::string_view group,
                      const std::vector<std::string>& ids) override {
    PROTEAN_FORWARD(Ack(stream, group, ids));
  }
  // Forwarded whole, so the target's single round trip is kept: a decorator
  // that changes Ack or ReadNew overrides this too (FaultyBroker makes it
  // the two calls, Broker::AckThenReadNew).
  Result<std::vector<StreamEntry>> AckThenReadNew(std::string_view stream, std::string_view group,
                                                  std::string_view consumer,
                                                  const std::vector<std::string>& ack_ids,
                                                  const AckDone& on_acked, int count,
                                                  Duration block) override {
    if (closed()) {
      on_acked(Closed());
      return Closed();
    }
    if (Status st = Before("AckThenReadNew"); !st.ok()) {
      on_acked(st);
      return st;
    }
    auto result = target_->AckThenReadNew(stream, group, consumer, ack_ids, on_acked, count, block);
    if (Status st = After("AckThenReadNew"); !st.ok()) return st;
    return result;
  }
  Result<std::vector<PendingEntry>> Pending(std::string_view stream, std::string_view group,
                                            std::string_view consumer, int count) override {
    PROTEAN_FORWARD(Pending(stream, group, consumer, count));
  }
  Result<int64_t> PendingCount(std::string_view stream, std::string_view group) override {
    PROTEAN_FORWARD(PendingCount(stream, group));
  }
  Result<ClaimResult> AutoClaim(std::string_view stream, std::string_view group,
                                std::string_view consumer, Duration min_idle,
                                std::string_view cursor, int count) override {
    PROTEAN_FORWARD(AutoClaim(stream, group, consumer, min_idle, cursor, count));
  }
  Result<std::optional<StreamEntry>> Redeliver(std::string_view stream, std::string_view group,
                                               std::string_view consumer,
                                               std::string_view id) override {
    PROTEAN_FORWARD(Redeliver(stream, group, consumer, id));
  }
  Result<int64_t> Release(std::string_view stream, std::string_view group,
                          std::string_view consumer,
                          const std::vector<std::pair<std::string, int64_t>>& entries) override {
    PROTEAN_FORWARD(Release(stream, group, consumer, entries));
  }
  Result<int64_t> Touch(std::string_view stream, std::string_view group, std::string_view consumer,
                        const std::vector<std::string>& ids) override {
    PROTEAN_FORWARD(Touch(stream, group, consumer, ids));
  }
  Result<std::vector<StreamEntry>> Range(std::string_view stream, std::string_view start,
                                         std::string_view end, int count) override {
    PROTEAN_FORWARD(Range(stream, start, end, count));
  }
  Result<int64_t> Delete(std::string_view stream, const std::vector<std::string>& ids) override {
    PROTEAN_FORWARD(Delete(stream, ids));
  }
  Result<int64_t> DeleteStream(std::string_view stream) override {
    PROTEAN_FORWARD(DeleteStream(stream));
  }
  Result<int64_t> Trim(std::string_view stream, const TrimSpec& spec) override {
    PROTEAN_FORWARD(Trim(stream, spec));
  }
  Result<int64_t> Length(std::string_view stream) override { PROTEAN_FORWARD(Length(stream)); }
  Result<std::optional<int64_t>> Lag(std::string_view stream, std::string_view group) override {
    PROTEAN_FORWARD(Lag(stream, group));
  }
  Result<std::vector<GroupProgress>> GroupsProgress(std::string_view stream) override {
    PROTEAN_FORWARD(GroupsProgress(stream));
  }
  Result<bool> MoveToDlq(std::string_view stream, std::string_view group, std::string_view id,
                         const DlqMetadata& meta) override {
    PROTEAN_FORWARD(MoveToDlq(stream, group, id, meta));
  }
  Result<std::vector<ConsumerInfo>> Consumers(std::string_view stream,
                                              std::string_view group) override {
    PROTEAN_FORWARD(Consumers(stream, group));
  }
  Result<ConsumerDeletion> DeleteConsumer(std::string_view stream, std::string_view group,
                                          std::string_view consumer) override {
    PROTEAN_FORWARD(DeleteConsumer(stream, group, consumer));
  }
#undef PROTEAN_FORWARD

 protected:
  static Status Closed() { return Status::Unavailable("broker connection closed"); }

 private:
  Broker* target_;
  std::atomic<bool> closed_{false};
};

}  // namespace protean
