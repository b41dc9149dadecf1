#pragma once
// Adapter-level faults as decorators: FaultyBroker and FaultyEventStore sit
// over an instance's connections to the backends (the memory backends in the
// simulation) and fail, delay or lose calls as their plan says. The fault
// kinds that act through them (harness/faults/, scenarios/README.md "Fault
// catalogue") add windows to AdapterFaultPlans before the run.
//
// An AdapterFaultPlan is fixed before the run starts (times drawn from the seed) and
// read by the decorators against the run's Clock, so the same plan gives the
// same failures at the same virtual instants. The only mutable state, the
// connection-reset budgets, is behind a mutex (real mode calls come from
// worker threads).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/broker_wrapper.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "core/storage_wrappers.h"

namespace protean::harness {

// [from, until) on the run's Clock.
struct TimeWindow {
  TimePoint from{};
  TimePoint until{};
  bool Covers(TimePoint t) const { return t >= from && t < until; }
};

// Faults of one kind of adapter as seen by one instance.
struct AdapterFaultPlan {
  std::vector<TimeWindow> unavailable;
  struct LostAck {
    TimeWindow window;
    bool applied = false;  // the broker applied the ack; only the reply was lost
  };
  std::vector<LostAck> lost_acks;
  struct Slow {
    TimeWindow window;
    Duration latency{0};
  };
  std::vector<Slow> slow;
  struct Reset {
    TimePoint at{};
    int64_t calls = 1;
  };
  std::vector<Reset> resets;
  // A call starting in one of these waits until its end (CLIENT PAUSE).
  std::vector<TimeWindow> paused;
};

// The adapter faults of a run, in the order the faults were declared; each
// targets one instance index or every instance.
class AdapterFaultPlans {
 public:
  // Adds what one fault does to the broker and event-store connections of
  // `instance` (nullopt: of every instance).
  void Add(std::optional<int64_t> instance, AdapterFaultPlan broker, AdapterFaultPlan store);
  // The plans of instance `index`: every matching fault's windows, in order.
  AdapterFaultPlan BrokerPlan(int64_t index) const { return For(index, true); }
  AdapterFaultPlan EventStorePlan(int64_t index) const { return For(index, false); }

 private:
  struct Entry {
    std::optional<int64_t> instance;
    AdapterFaultPlan broker;
    AdapterFaultPlan store;
  };
  AdapterFaultPlan For(int64_t index, bool broker) const;
  std::vector<Entry> entries_;
};

// Shared by the decorators of one adapter: the plan plus reset budgets.
//
// `reply_timeout` is the client's socket timeout the simulation stands for
// (the real adapter's socket_timeout, zero: none). A call whose injected
// wait (slow windows, or until a paused window's end) exceeds it, or
// `block` + it for a read (the block the engine gives a Redis read, 1 s,
// when the target cannot block), is a call whose reply the real client gave
// up on: the call is made (the server ran it), it takes reply_timeout
// (+ block) and fails with kTimeout, as RedisBroker does past
// socket_timeout.
class FaultState {
 public:
  FaultState(const Clock& clock, AdapterFaultPlan plan, Duration reply_timeout = Duration{0});
  // Unavailable / reset / latency for any call at the current time; a
  // blocking read says how long it may block.
  Status Before(std::string_view op, Duration block = Duration{0});
  // After the call Before let through: kTimeout when its reply is lost.
  Status After();
  // For acks: nullopt = proceed normally; otherwise whether to apply it.
  std::optional<bool> LostAck();

 private:
  const Clock& clock_;
  AdapterFaultPlan plan_;
  const Duration reply_timeout_;
  Mutex mu_;
  std::vector<int64_t> reset_left_ PROTEAN_GUARDED_BY(mu_);
};

class FaultyBroker final : public BrokerWrapper {
 public:
  FaultyBroker(Broker* target, std::shared_ptr<FaultState> state)
      : BrokerWrapper(target), state_(std::move(state)) {}
  Status Before(std::string_view op) override { return state_->Before(op, block_); }
  Status After(std::string_view) override { return state_->After(); }
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override;
  Result<int64_t> Ack(std::string_view stream, std::string_view group,
                      const std::vector<std::string>& ids) override;
  // The two calls, each through its faults above.
  Result<std::vector<StreamEntry>> AckThenReadNew(std::string_view stream, std::string_view group,
                                                  std::string_view consumer,
                                                  const std::vector<std::string>& ack_ids,
                                                  const AckDone& on_acked, int count,
                                                  Duration block) override {
    return Broker::AckThenReadNew(stream, group, consumer, ack_ids, on_acked, count, block);
  }

 private:
  std::shared_ptr<FaultState> state_;
  // The block of the ReadNew being forwarded on this thread (else zero).
  static thread_local Duration block_;
};

class FaultyEventStore final : public EventStoreWrapper {
 public:
  FaultyEventStore(EventStore* target, std::shared_ptr<FaultState> state)
      : EventStoreWrapper(target), state_(std::move(state)) {}
  Status Before(std::string_view op) override { return state_->Before(op); }

 private:
  std::shared_ptr<FaultState> state_;
};

}  // namespace protean::harness
