#pragma once
// An EventStoreSubscription reads one event-store category in global order
// and runs its handler on each message, keeping its position in the store
// itself: a `Recorded` message {"position": N} in the stream
// `<category>:position-<handler>` (Eventide's naming; `+position` when the
// category already has a `:type`), written every position_update_interval
// handled messages and on shutdown. A restart resumes after the stored
// position, so delivery is at-least-once: up to position_update_interval
// messages may run again.
//
// Every instance reads the whole category unless the subscription is
// partitioned (consumer_group_member/size: Message DB's consumer groups by
// cardinal id), in which case each member has its own position stream.
//
// Failures are retried in place with the configured backoff (order matters
// to projections; other subscriptions go on). After max_retries attempts the
// failure is recorded as a `HandlerFailed` message in
// `<category>:failed-<handler>` and the position moves on: there is no DLQ
// for event-store subscriptions.

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "core/engine/attempt_runner.h"
#include "core/engine/subscription.h"
#include "core/event_store.h"

namespace protean {

class EventStoreSubscription final : public Subscription {
 public:
  EventStoreSubscription(SubscriptionDeps deps, EventStore* store,
                         const HandlerRegistration& handler, SubscriptionConfig config);

  void Start() override;
  void StopFetching(std::function<void()> on_idle) override;
  void Abandon() override;
  void Flush(std::function<void()> done) override;

  const std::string& name() const override { return handler_.name; }
  SubscriptionType type() const override { return SubscriptionType::kEventStore; }
  const SubscriptionConfig& config() const override { return config_; }
  const std::string& stream() const override { return handler_.stream; }
  bool in_flight() const override { return runner_.busy() || writes_in_flight_ > 0; }

  const std::string& position_stream() const { return position_stream_; }
  int64_t position() const { return position_; }

 private:
  bool running() const { return state_ == State::kRunning; }
  void ScheduleTick(Duration delay);
  void Tick();
  void ProcessNext();
  void Attempt();
  void OnAttempt(const AttemptResult& result);
  void Advance(int64_t global_position);
  void WritePosition(std::function<void()> done);
  void RecordFailure(const EventMessage& m, const AttemptResult& r);
  void MaybeIdle();
  std::function<void()> Guard(std::function<void()> fn);
  EngineEvent Event(EngineEventKind kind, const EventMessage& m) const;

  enum class State { kIdle, kRunning, kStopping, kAbandoned };

  SubscriptionDeps deps_;
  EventStore* store_;
  const HandlerRegistration& handler_;
  SubscriptionConfig config_;
  std::string consumer_;
  std::string position_stream_;
  std::string failed_stream_;
  AttemptRunner runner_;
  State state_ = State::kIdle;
  uint64_t epoch_ = 0;

  std::deque<EventMessage> batch_;
  int64_t position_ = 0;          // last handled global position (0 = none)
  int64_t written_position_ = 0;  // last position stored
  int64_t since_write_ = 0;
  int64_t attempt_ = 0;           // attempts of the head message so far
  TimePoint first_failure_{};
  bool fetch_in_flight_ = false;
  int empty_reads_ = 0;
  int writes_in_flight_ = 0;
  TimerId tick_timer_ = 0;
  TimerId retry_timer_ = 0;
  std::function<void()> on_idle_;

  Counter* processed_ok_;
  Counter* processed_failed_;
  Counter* retries_counter_;
  Counter* exhausted_;
  Histogram* duration_;
};

}  // namespace protean
