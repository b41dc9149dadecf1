#pragma once
// An EventStoreSubscription reads one event-store category in global order
// and runs its handler on each message, keeping its position in the store
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
// Failures are retried in place with the configured backoff (order matters
// to projections; other subscriptions go on). After max_retries attempts the
// failure is recorded in `failed-<subscriber>-<category>` (Protean's
// failed-positions stream, same suffix) as Protean's terminal `Exhausted`
// record, and the position moves on: there is no DLQ for event-store
// subscriptions, and a Protean taking over finds nothing left to recover.

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  // position_stream() first, then the older names read when it is empty.
  const std::vector<std::string>& position_streams() const { return position_streams_; }
  int64_t position() const { return position_; }

 private:
  void Tick() override;
  void OnRead(Result<std::vector<EventMessage>> result);
  void ProcessNext();
  void Attempt();
  void OnAttempt(const AttemptResult& result);
  void ScheduleRetry(const EventMessage& m);
  void LoadPosition();
  void Advance(int64_t global_position);
  void WritePosition(std::function<void()> done);
  void WritePositionTry(int64_t pos, int tries_left, std::function<void()> done);
  void OnPositionConflict(int64_t pos, int tries_left, std::function<void()> done);
  void RecordFailure(const EventMessage& m, const AttemptResult& r);
  EngineEvent Event(EngineEventKind kind, const EventMessage& m) const;

  EventStore* store_;
  std::vector<std::string> position_streams_;
  std::string position_stream_;
  std::string failed_stream_;

  std::deque<EventMessage> batch_;
  int64_t position_ = 0;                     // last handled global position (0 = none)
  int64_t written_position_ = 0;             // last position stored (by us or found stored)
  std::optional<int64_t> position_version_;  // the position stream's version; nullopt = empty
  int64_t since_write_ = 0;
  int64_t attempt_ = 0;  // attempts of the head message so far
  TimePoint first_failure_{};
  TimerId retry_timer_ = 0;

  Counter* exhausted_;
};

}  // namespace protean
