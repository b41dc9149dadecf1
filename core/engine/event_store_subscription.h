#pragma once
// An EventStoreSubscription reads one event-store category in global order
// and runs its handler on each message (reading the next batch while the
// last is handled, where Protean reads once a batch is done: one Read out,
// of up to two batches, and two batches waiting at most; a read whose batch
// was dropped meanwhile is dropped with it), keeping its position in the store
// itself as Protean does (server/subscription/event_store_subscription.py:
// 171-172, 368-405): a `Read` message {"position": N} (N: the last handled
// global position) in the stream `position-<subscriber>-<category>`, where
// the subscriber is SubscriberName (the handler's fqn, else its name), with
// Protean's metadata (headers id/type/time/stream, domain kind READ_POSITION
// and origin_stream). So a position Python Protean wrote is read here and
// one written here is read by Protean. It is written every
// position_update_interval handled messages and on shutdown. A restart
// resumes after the stored position, so delivery is at-least-once: up to
// position_update_interval messages may run again. A position that cannot
// be read at start is read again (with backoff) before anything is handled:
// an outage never turns into a replay from the beginning.
//
// Whose position: one per subscription (Protean's model: every process of an
// unpartitioned subscription reads the whole category and shares it); one
// per consumer-group member when partitioned (consumer_group_member/size:
// Message DB's consumer groups by cardinal id), suffix `+<m>of<n>`; one per
// instance when the instance has an operator-given name
// (SubscriptionDeps::named_instance, `--instance`), suffix `+<instance>`.
// Protean has neither (its --workers refuses event-store subscriptions): the
// suffixes are this engine's. Writes are conditional on the position
// stream's version, and a process that finds a higher position stored by
// another never writes a lower one: a stored position never moves backwards.
//
// Older names, read once: when the stream is empty at start, the position is
// read from this engine's name up to 0.2 (`<category>:position-<handler>`
// with the same suffix, `+position-` for a typed category), and for a member
// or a named instance then from the subscription's shared stream
// (`position-<subscriber>-<category>`, where a Protean or an unnamed process
// kept it): every message up to it was handled, so the member or instance
// continues from there instead of replaying. Writes only ever go to the new
// name.
//
// Failures (Protean's model, event_store_subscription.py:581-736 and
// 981-1145; the recovery records are in event_store_recovery.h): with
// enable_recovery (the default) a failed message is recorded `Failed` in
// failed-<subscriber>-<category> (the position stream's subscriber and suffix), and only once the
// store confirmed that write does the position move on (a failed write leaves the message to be
// read and handled again), so no message blocks the category and a crash
// between the record and the position loses nothing. Every poll cycle, once
// recovery_interval_seconds have passed since the last pass, a recovery pass
// retries each unresolved position (recovery_retry_delay_seconds before
// each, on a timer): `Resolved` when the handler succeeds, a new `Failed`
// with retry_count + 1 when not, `Exhausted` (counted in
// protean_subscription_exhausted) once retry_count + 1 exceeds
// recovery_max_retries. New messages wait while a pass runs, as in Protean.
// With enable_recovery = false a failure is retried in place with the
// subscription's max_retries and backoff (order matters to projections),
// then recorded `Exhausted` before the position moves on. An undecodable
// message is recorded `Exhausted` at once. There is no DLQ for event-store
// subscriptions.

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/event_store_recovery.h"
#include "core/engine/subscription.h"
#include "core/event_store.h"

namespace protean {

// The stream holding the position of `handler` as its subscription names it
// (above): `named_instance` is the operator-given instance name, "" for none;
// a partitioned subscription's member is config.consumer_group_member.
std::string EventStorePositionStream(const HandlerRegistration& handler,
                                     const SubscriptionConfig& config,
                                     const std::string& named_instance);
// Where the subscription looks for its position at start, in order: that
// stream, then the older names (above). `protean subscriptions status` and
// the metrics read them the same way.
std::vector<std::string> EventStorePositionStreams(const HandlerRegistration& handler,
                                                   const SubscriptionConfig& config,
                                                   const std::string& named_instance);
struct StoredPositionRead {
  size_t stream_index = 0;  // into the streams asked
  EventMessage message;     // the last message of that stream
};
// The last message of the first of `streams` that has one; nullopt when
// none has. Stops at the first failing read.
Result<std::optional<StoredPositionRead>> ReadStoredPosition(
    EventStore& store, const std::vector<std::string>& streams);
// The data of a position record, as Protean's json.dumps writes it:
// {"position": N}.
std::string PositionData(int64_t position);
// The position a message of a position stream (`Read`, or this engine's
// older `Recorded`; data {"position": N}) stores, or 0 (nothing handled)
// when it holds none.
int64_t StoredPosition(const EventMessage& m);

class EventStoreSubscription final : public SubscriptionBase {
 public:
  EventStoreSubscription(SubscriptionDeps deps, EventStore* store,
                         const HandlerRegistration& handler, SubscriptionConfig config);

  void Start() override;
  void StopFetching(std::function<void()> on_idle) override;
  void Abandon() override;
  void Flush(std::function<void()> done) override;

  SubscriptionType type() const override { return SubscriptionType::kEventStore; }

  const std::string& position_stream() const { return position_stream_; }
  const std::string& failed_positions_stream() const { return failed_stream_; }
  // Positions recorded as failed and not yet resolved or exhausted.
  const FailedPositions& unresolved() const { return failed_positions_; }
  // position_stream() first, then the older names read when it is empty.
  const std::vector<std::string>& position_streams() const { return position_streams_; }
  int64_t position() const { return position_; }

 private:
  void Tick() override;
  void Read(int64_t after);
  void MaybeReadAhead();
  void OnRead(int64_t after, Result<std::vector<EventMessage>> result);
  void ProcessNext();
  void Attempt();
  std::function<Status(Message*)> LaterDecoder(const EventMessage& m) const;
  AttemptRunner::Item RunItem(const EventMessage& m, bool head);
  void OnAttempt(int64_t global_position, bool head, const AttemptResult& result);
  // The events of a later message of a run, told as it ends (observed only).
  void ReportLaterStart(const EventMessage& m, const AttemptResult& r) const;
  void SkipExpired(const EventMessage& m, const std::string& type);
  void ScheduleRetry(const EventMessage& m);
  void LoadPosition();
  void Advance(int64_t global_position);
  // The interval's write: issued at once, or after the one still running.
  void PositionDue();
  void WriteIntervalPosition();
  // How many messages the next run may take: to where handling must wait
  // for a position write (see interval_write_running_).
  size_t RunRoom() const;
  void WritePosition(std::function<void()> done);
  void WritePositionTry(int64_t pos, int tries_left, std::function<void()> done);
  void OnPositionConflict(int64_t pos, int tries_left, std::function<void()> done);
  EngineEvent Event(EngineEventKind kind, const EventMessage& m) const;

  // The recovery pass and its records (event_store_recovery.cc).
  void LoadRecovery();
  void ReadFailedRecords(int64_t from, bool read_any, int64_t pages_left);
  void RecordThenAdvance(const EventMessage& m, const AttemptResult& r, bool exhausted);
  void WriteRecoveryRecord(const RecoveryRecord& record, std::function<void(bool ok)> done);
  bool RecoveryPassDue() const;
  bool MaybeStartRecoveryPass();
  void RecoverNext();
  void RecoverRead(int64_t pos);
  void RecoverAttempt(int64_t pos, const EventMessage& row);
  void OnRecoverAttempt(int64_t pos, const EventMessage& row, const AttemptResult& r);
  void Exhaust(int64_t pos, int64_t retry_count, const std::string& reason);
  void EndRecoveryPass(Duration next_tick);
  EngineEvent RecoveryEvent(EngineEventKind kind, int64_t pos, const FailedPosition& f,
                            int64_t attempt) const;

  EventStore* store_;
  std::vector<std::string> position_streams_;
  std::string position_stream_;
  std::string failed_stream_;

  std::deque<EventMessage> batch_;
  int64_t position_ = 0;                     // last handled global position (0 = none)
  int64_t written_position_ = 0;             // last position stored (by us or found stored)
  std::optional<int64_t> position_version_;  // the position stream's version; nullopt = empty
  int64_t since_write_ = 0;
  // A position write every position_update_interval messages. Handling goes
  // on while one runs; when the next is due before it is answered, handling
  // waits (write_waiting_): a crash replays at most two intervals, however
  // slow the store.
  bool interval_write_running_ = false;
  bool write_waiting_ = false;
  int64_t attempt_ = 0;  // attempts of the head message so far
  TimePoint first_failure_{};
  TimerId retry_timer_ = 0;

  // Recovery (event_store_recovery.cc).
  std::string checkpoint_stream_;
  FailedPositions failed_positions_;
  bool recovery_loaded_ = false;
  std::optional<TimePoint> last_recovery_;  // when the last pass began
  bool recording_ = false;                  // the head's record is being written
  bool recovering_ = false;                 // a pass runs: nothing is fetched meanwhile
  std::vector<int64_t> pass_;               // the positions of the running pass
  size_t pass_next_ = 0;
  TimerId recovery_timer_ = 0;  // retry_delay before the next retry of the pass

  Counter* exhausted_;
};

}  // namespace protean
