#pragma once
// A StreamSubscription consumes one broker stream through a consumer group
// (the handler name), as one consumer (`<handler>-<instance>`), so instances
// scale out: each entry goes to one consumer of the group.
//
// Per message: deliver -> attempt (one at a time) -> ack (batched, flushed
// before each fetch and on shutdown). A failed attempt is retried after the
// backoff by a loop timer, never a blocking sleep, while the rest of the batch
// goes on. The attempt number is the broker's delivery count: a retry
// re-reads the entry through the group (count + 1), so the count survives a
// crash. After max_retries attempts the entry moves to `{stream}:dlq`
// atomically with its ack; a failed move leaves it pending and is tried again
// after the retry delay. An undecodable payload goes to the DLQ at once.
// enable_dlq = false acks and counts the drop.
//
// Crash recovery: every claim_idle/2 (at most 5 s) the subscription claims entries of its
// group idle longer than claim_idle (XAUTOCLAIM) and processes them; a claimed
// entry already past max_retries deliveries goes to the DLQ without running.
// Every claim_idle/4 it touches the entries it holds (Broker::Touch), so only
// the entries of a consumer that stopped touching them — a dead one — are
// ever idle long enough to be claimed.
//
// All methods run on the loop. Broker calls go through Executor::Offload.

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/broker.h"
#include "core/engine/attempt_runner.h"
#include "core/engine/subscription.h"

namespace protean {

class StreamSubscription final : public Subscription {
 public:
  StreamSubscription(SubscriptionDeps deps, Broker* broker, const HandlerRegistration& handler,
                     SubscriptionConfig config);
  ~StreamSubscription() override;

  void Start() override;
  void StopFetching(std::function<void()> on_idle) override;
  void Abandon() override;
  void Flush(std::function<void()> done) override;

  const std::string& name() const override { return handler_.name; }
  SubscriptionType type() const override { return SubscriptionType::kStream; }
  const SubscriptionConfig& config() const override { return config_; }
  const std::string& stream() const override { return handler_.stream; }
  bool in_flight() const override {
    return runner_.busy() || dlq_moves_in_flight_ > 0 || acks_in_flight_ > 0;
  }
  const std::string& consumer() const { return consumer_; }
  const std::string& group() const { return group_; }

 private:
  struct Delivery {
    StreamEntry entry;
    bool claimed = false;
  };
  struct RetryWait {
    TimerId timer = 0;
    TimePoint first_failure{};
    int64_t failed_attempt = 1;
  };

  bool running() const { return state_ == State::kRunning; }
  void ScheduleTick(Duration delay);
  void Tick();
  void OnFetched(Result<std::vector<StreamEntry>> result);
  void ProcessNext();
  void Process(Delivery delivery);
  void OnAttempt(const StreamEntry& entry, std::shared_ptr<const Message> message,
                 const AttemptResult& result);
  void ScheduleRetry(const std::string& id, int64_t failed_attempt, TimePoint first_failure);
  void Redeliver(const std::string& id);
  void MoveToDlq(const std::string& id, int64_t attempts, const std::string& reason,
                 const std::string& message_id);
  void AckNow(const std::string& id, const std::string& message_id, int64_t attempt);
  void FlushAcks();
  void ScheduleClaim();
  void ScheduleHeartbeat();
  // Entry ids this subscription holds: fetched, redelivered, in flight or
  // waiting for a retry.
  std::vector<std::string> HeldIds() const;
  bool Holds(const std::string& id) const;
  void Claim(std::string cursor, int pages_left);
  void MaybeIdle();
  void ReleaseUnattempted();
  void Error(const std::string& what, const Status& status);
  EngineEvent Event(EngineEventKind kind, const std::string& entry_id,
                    const std::string& message_id, int64_t attempt) const;
  // Wraps a loop callback so it is dropped once the subscription is abandoned.
  std::function<void()> Guard(std::function<void()> fn);

  enum class State { kIdle, kRunning, kStopping, kAbandoned };

  SubscriptionDeps deps_;
  Broker* broker_;
  const HandlerRegistration& handler_;
  SubscriptionConfig config_;
  std::string group_;
  std::string consumer_;
  AttemptRunner runner_;
  State state_ = State::kIdle;
  uint64_t epoch_ = 0;  // bumped by Abandon()

  std::deque<Delivery> ready_;   // redelivered or claimed: before the batch
  std::deque<Delivery> batch_;   // fetched, not yet attempted
  std::map<std::string, RetryWait> retries_;
  std::map<std::string, TimePoint> first_failure_;  // by entry id, while failing
  std::vector<std::string> pending_acks_;
  struct AckInfo {
    std::string message_id;
    int64_t attempt;
  };
  std::vector<AckInfo> pending_ack_info_;
  bool fetch_in_flight_ = false;
  int empty_reads_ = 0;
  TimerId tick_timer_ = 0;
  TimerId claim_timer_ = 0;
  TimerId heartbeat_timer_ = 0;
  std::string inflight_id_;
  int dlq_moves_in_flight_ = 0;
  int redeliveries_in_flight_ = 0;
  int acks_in_flight_ = 0;
  int releases_in_flight_ = 0;
  std::vector<std::function<void()>> ack_waiters_;  // Flush() callers
  std::function<void()> on_idle_;

  Counter* processed_ok_;
  Counter* processed_failed_;
  Counter* retries_counter_;
  Counter* dlq_routed_;
  Counter* dropped_;
  Counter* claimed_;
  Histogram* duration_;
};

}  // namespace protean
