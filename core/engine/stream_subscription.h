#pragma once
// A StreamSubscription consumes one broker stream through a consumer group
// (SubscriberName: the handler's fqn, else its name, as Protean's group is
// the handler's fully qualified name), as one consumer
// (`<handler>-<instance>`), so instances scale out: each entry goes to one
// consumer of the group.
//
// Per message: deliver -> attempt -> ack (batched, flushed before each fetch,
// when the attempts in flight end, and on shutdown). Attempts run in
// sequences handed to a worker in one hop; `concurrency` sequences at once
// (default 1: one message at a time, Protean's behaviour); with
// `ordered_by`, messages with the same payload key run one at a time, in
// order. The next batch is fetched while the current one is handled (one
// batch ahead at most). A failed attempt is retried after the
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
// Circuit breaker (circuit_breaker_threshold, circuit_breaker_reset_seconds;
// core/engine/circuit_breaker.h has the states). When it opens, attempts
// handed to a worker but not started yet are taken back (queued again, in
// order), and while OPEN the subscription neither fetches, claims, attempts
// nor redelivers: a retry that falls due is parked. Nothing is acked, moved to
// the DLQ or released because of the pause, and the heartbeat keeps touching
// every entry held (queued, parked, waiting), so no live consumer's entry
// is claimed away during the pause. After the reset window, once no attempt
// is running, HALF_OPEN: the parked retries are redelivered and exactly one
// message (the first queued, or one fetched) is attempted as the probe; its
// outcome closes or re-opens the breaker. Each transition is logged
// (subscription.circuit_breaker.<opened|half_open|closed>), reported as a
// circuit_breaker event, counted in protean_subscription_circuit_breaker_state
// {state=<transition>} (Protean's counter) and shown by the gauge
// protean_subscription_circuit_state{state=closed|open|half_open} (1 for the
// current state) and by circuit_state().
//
// Retention (retention_maxlen): after each ack flush, at most one trim in
// flight, Broker::TrimRetained(stream, retention_maxlen) (core/broker.h: MINID
// at the slowest group's floor with several groups, MAXLEN otherwise).
//
// Priority lanes ([server.priority_lanes] enabled; Protean's
// server/subscription/stream_subscription.py:182-186,333-384): the
// subscription also consumes the backfill lane `{stream}:{backfill_suffix}`
// through the same group and consumer. Each fetch reads the primary stream
// without blocking and, only when that returned nothing, the backfill lane
// (blocking up to blocking_timeout_ms, at most blocking_read_max: Protean's
// `min(blocking_timeout_ms, 1000)`, :599-625). Pending entries of both lanes
// are re-read at start; queued primary entries are attempted before queued
// backfill ones (a backfill retry is redelivered when its backoff ends, not
// held back until the primary is empty as Protean's NACK + pending-first
// read does); retries, the DLQ move (`{stream}:{suffix}:dlq`,
// :909-938), acks, claims, the heartbeat, the release at shutdown and the
// retention trim act on the lane an entry came from. One breaker, one
// concurrency limit and one drain for both lanes, as Protean's one
// subscription object has. Entries of the backfill lane are held under the
// key "b|<id>" (a Redis id never has a '|'), since both lanes hand out the
// same ids; events and logs name the lane's stream and the entry's own id.
// A broker without pending lists (capabilities().pending false: redis_pubsub,
// Protean's list provider): a read entry is this consumer's alone. There is
// nothing to re-read at start, claim or touch; a retry runs the entry this
// process kept (its attempt count in memory); no DLQ, so enable_dlq is
// refused (Engine::AddSubscription) and an undecodable message is dropped
// and counted; and a stop handles what was read, retries included, within
// the drain instead of releasing it (retries the breaker parked wait for a
// probe that no longer comes). What a crash or a drain cut-off leaves is
// lost (logged as subscription.messages_lost), as with Protean's provider.
//
// All methods run on the loop. Broker calls go through Executor::Offload.

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/broker.h"
#include "core/engine/circuit_breaker.h"
#include "core/engine/subscription.h"

namespace protean {

// The broker, stream, group and consumer a subscription reads as: a value
// that offloaded calls capture whole.
struct GroupHandle {
  Broker* broker = nullptr;
  std::string stream;
  std::string group;
  std::string consumer;
};

class StreamSubscription final : public SubscriptionBase {
 public:
  StreamSubscription(SubscriptionDeps deps, Broker* broker, const HandlerRegistration& handler,
                     SubscriptionConfig config);

  void Start() override;
  void StopFetching(std::function<void()> on_idle) override;
  void Abandon() override;
  void Flush(std::function<void()> done) override;

  SubscriptionType type() const override { return SubscriptionType::kStream; }
  // Also what a stop still handles when the broker keeps nothing pending.
  bool in_flight() const override;
  const std::string& group() const { return group_.group; }
  // The backfill lane's stream when priority lanes are on.
  const std::optional<std::string>& backfill_stream() const { return backfill_stream_; }
  // The breaker's state; any thread (for /readyz and status reports).
  CircuitState circuit_state() const { return circuit_published_.load(); }

 private:
  struct Delivery {
    StreamEntry entry;
    bool claimed = false;
  };
  struct RetryWait {
    TimerId timer = 0;
    int64_t failed_attempt = 1;
  };
  struct PendingAck {
    std::string id;
    std::string message_id;
    int64_t attempt = 0;
  };

  void Tick() override;
  // Starts the next read when one is due (false: none is).
  bool Fetch();
  // A read may start: the breaker, the batch waiting and the retries allow it.
  bool ReadDue() const;
  // Before a Dispatch hands queued entries to a free lane: the next read goes
  // out first, so the broker answers it while the lane runs (ReadDue counts
  // what the lane takes as taken). With tick_interval_seconds the tick reads.
  void ReadAhead();
  // The queued entries a Dispatch now would leave queued: those past what
  // the free lanes take, or all of them with ordered_by.
  size_t QueuedPastFreeLanes() const;
  // Offloads the read of `count` (blocking up to `block`, holding
  // `blocking_slot` while it does), with `acks` sent first when there are any.
  void Read(int count, Duration block, std::shared_ptr<void> blocking_slot,
            std::shared_ptr<const std::vector<PendingAck>> acks, std::vector<std::string> ack_ids);
  // Acks may go with a read at all: the broker takes both at once
  // (BrokerCapabilities::ack_with_read), one lane, running, no tick interval.
  bool AcksMayRide() const;
  // The acks waiting may wait for the next read, which takes them with it:
  // one round trip for both.
  bool AcksRideNextRead() const;
  // The read in flight does not block or was read ahead, and acks could ride
  // the next: they wait for it to return (kAcksWaitForReadMax at most), then
  // ride the next read or go.
  bool AcksWaitForRead() const;
  // Fewer than a batch of acks wait and a lane runs: its end reads next
  // (OnSequenceDone), and they ride that read, instead of a round trip of
  // their own when a read is not due before then.
  bool AcksWaitForLane() const;
  // FlushAcks, unless they ride with the next read (then a Tick is made due)
  // or wait for the read in flight (AcksWaitForRead).
  void FlushAcksOrRide();
  // After a read returned: acks that waited for it ride the next or go now.
  void AcksAfterRead();
  // The lane an entry key belongs to (its stream, group and consumer).
  const GroupHandle& LaneOf(const std::string& key) const;
  // Event() and LogMessage() of SubscriptionBase for an entry key: the
  // lane's stream and the entry's own id.
  EngineEvent Event(EngineEventKind kind, const std::string& key, const std::string& message_id,
                    int64_t attempt) const;
  void LogMessage(LogLevel level, std::string event, const std::string& key, const Message* m,
                  const std::string& message_id, int64_t attempt, std::string text) const;
  void GroupRecreated(const std::string& stream);
  void KeepStillOurs(std::vector<StreamEntry> entries);
  void OnFetched(Result<std::vector<StreamEntry>> result);
  // Hands queued deliveries to free lanes (up to `concurrency` sequences of
  // attempts); deliveries that need no attempt are settled on the way.
  void Dispatch();
  // The queues Dispatch takes from, in order, with whether that pass takes
  // backfill entries: redelivered and claimed before fetched, and with
  // priority lanes every primary entry before any backfill one.
  std::vector<std::pair<std::deque<Delivery>*, bool>> DispatchOrder();
  void OnSequenceDone();
  // False when a delivery needs no attempt (deleted, attempts exhausted:
  // settled here); undecodable and expired ones are settled by OnAttempt.
  bool NeedsAttempt(Delivery& delivery);
  // The ordered_by key of a message; nullopt without ordered_by or when its
  // payload has no such key (such messages are not ordered).
  std::optional<std::string> OrderKey(const Message& message) const;
  void ReleaseKey(const std::string& entry_id);
  void OnAttempt(const StreamEntry& entry, const AttemptResult& result);
  // Undecodable (to the DLQ at once) or expired (acked and skipped).
  void OnNotAttempted(const StreamEntry& entry, const AttemptResult& result);
  // What events name when the worker had not decoded the entry yet.
  Message FallbackMessage(const StreamEntry& entry);
  void ScheduleRetry(const std::string& id, int64_t failed_attempt);
  void RedeliverLater(const std::string& id, int64_t failed_attempt);
  void Redeliver(const std::string& id);
  void OnRedelivered(const std::string& id, int64_t failed_attempt,
                     Result<std::optional<StreamEntry>> result);
  void MoveToDlq(const std::string& id, int64_t attempts, const std::string& reason,
                 const std::string& message_id);
  void AckNow(const std::string& id, const std::string& message_id, int64_t attempt);
  // Acked without handling: logged (handler.dropped), counted and reported.
  void Drop(const std::string& id, const Message* message, const std::string& message_id,
            int64_t attempt, const std::string& reason);
  // Stopping on a broker without pending lists: the drain goes on handling
  // what was read (see the class comment).
  bool finishing() const { return state_ == State::kStopping && !caps_.pending; }
  void FlushAcks();
  // pending_acks_, moved out, and their entry ids into `ids`.
  std::shared_ptr<const std::vector<PendingAck>> TakePendingAcks(std::vector<std::string>* ids);
  void OnAcked(const std::vector<PendingAck>& acks, Result<int64_t> result);
  void ScheduleClaim();
  // One lane's claim pass (the primary's, then the backfill lane's).
  void Claim(bool backfill, std::string cursor, int pages_left);
  void ScheduleHeartbeat();
  // A stop: ends the blocking read under way, if any, instead of waiting
  // out its block (Broker::WakeReads).
  void WakeRead();
  void ReleaseUnattempted();
  // Stops holding `id`: acked, moved, released, or no longer ours.
  void Forget(const std::string& id);
  bool Holds(const std::string& id) const { return held_.count(id) > 0; }
  void Enqueue(std::deque<Delivery>* queue, Delivery delivery);
  // The lanes Dispatch may fill and the messages per lane, as the breaker
  // allows: none while OPEN, one probe while HALF_OPEN.
  std::pair<int64_t, size_t> LaneLimits() const;
  // A handler outcome for the breaker; acts on the transition it causes.
  void NoteOutcome(bool ok);
  // `at`: the clock reading the breaker decided on.
  void OnCircuitChanged(CircuitState to, TimePoint at);
  // Takes back the attempts not started yet, queued again in order.
  void TakeBackUnstarted();
  void ArmProbeTimer();
  // HALF_OPEN once the reset window passed and no attempt is running.
  void MaybeProbe();
  void MaybeTrim();

  GroupHandle group_;                    // the primary lane
  std::optional<GroupHandle> backfill_;  // the backfill lane, when priority lanes are on
  std::optional<std::string> backfill_stream_;
  const BrokerCapabilities caps_;
  std::deque<Delivery> ready_;  // redelivered or claimed: before the batch
  std::deque<Delivery> batch_;  // fetched, not yet attempted
  std::map<std::string, RetryWait> retries_;
  // Without pending lists: the entries waiting for a retry, by id (the
  // broker cannot redeliver them).
  std::map<std::string, StreamEntry> kept_;
  std::map<std::string, TimePoint> first_failure_;  // by entry id, while failing
  std::vector<PendingAck> pending_acks_;
  // Entry ids this subscription is responsible for, from delivery until the
  // broker confirmed their ack or DLQ move (or they were released or turned
  // out to be another consumer's): what the heartbeat touches and what a
  // claim must not deliver twice. Hashed: several lookups per message.
  std::unordered_set<std::string> held_;
  // Held entries a claim of ours took back (its heartbeat came too late), by
  // id: each such claim raised the broker's delivery count without an
  // attempt, so the next redelivery's count is lowered by as many.
  std::map<std::string, int64_t> reclaimed_;
  int64_t lanes_ = 0;  // sequences of attempts running
  // The read in flight (at most one) may block: an empty one is then read
  // again at once, else after IdlePollDelay (SubscriptionDeps::TakeBlockingRead).
  bool read_blocks_ = false;
  // The read in flight was read ahead: messages were queued or handled as it
  // went out, after a full read, so it likely comes back without blocking.
  bool read_ahead_ = false;
  TimerId ack_wait_timer_ = 0;   // acks waiting for the read in flight go alone then
  bool last_read_full_ = false;  // the last read returned messages_per_tick entries
  bool ticking_ = false;         // within Tick's Dispatch: the read follows
  // ordered_by: key -> the entry holding it (in an attempt or waiting for a
  // retry), and back.
  std::map<std::string, std::string> busy_keys_;
  std::map<std::string, std::string> key_of_;
  TimerId claim_timer_ = 0;
  TimerId heartbeat_timer_ = 0;
  CircuitBreaker breaker_;
  std::atomic<CircuitState> circuit_published_{CircuitState::kClosed};
  TimerId probe_timer_ = 0;
  bool probing_ = false;  // HALF_OPEN: the probe is dispatched
  // Retries that fell due while OPEN (still held): id and the attempt that failed.
  std::vector<std::pair<std::string, int64_t>> parked_;
  // Entries handed to the runner and not finished: what TakeBackUnstarted
  // queues again.
  std::unordered_map<std::string, std::shared_ptr<const StreamEntry>> dispatched_;
  bool trimming_ = false;
  std::vector<std::function<void()>> ack_waiters_;  // Flush() callers

  Counter* dlq_routed_;
  Counter* dropped_;
  Counter* claimed_;
};

}  // namespace protean
