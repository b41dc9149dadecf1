#include "core/engine/event_store_subscription.h"

#include <nlohmann/json.hpp>

#include "core/engine/backoff.h"

namespace protean {
namespace {

// Whose position a stream holds, as the suffix after Protean's name: a
// partition member's ("+<m>of<n>", shared by whoever runs that member); a
// named instance's own ("+<instance>"); else the subscription's ("", shared
// by every process running it, Protean's only kind).
std::string Suffix(const SubscriptionConfig& c, const std::string& named_instance) {
  if (c.consumer_group_size) {
    return "+" + std::to_string(c.consumer_group_member.value_or(0)) + "of" +
           std::to_string(*c.consumer_group_size);
  }
  if (!named_instance.empty()) return "+" + named_instance;
  return "";
}

// Protean's `{kind}-{subscriber}-{category}` (event_store_subscription.py:
// 171-172, 218-223), with this engine's suffix.
std::string ProteanStream(const char* kind, const HandlerRegistration& h,
                          const std::string& suffix) {
  return std::string(kind) + "-" + SubscriberName(h) + "-" + h.stream + suffix;
}

// The name this engine used up to 0.2: `<category>:position-<handler><suffix>`
// (`+position-` when the category already has a `:type`).
std::string LegacyPositionStream(const HandlerRegistration& h, const std::string& suffix) {
  const bool typed = h.stream.find(':') != std::string::npos;
  return h.stream + (typed ? "+position-" : ":position-") + h.name + suffix;
}

std::string NamedInstance(const SubscriptionDeps& deps) {
  return deps.named_instance ? deps.instance : std::string();
}

// Tries of a conditional position write that keeps meeting a newer version.
constexpr int kPositionWriteTriesMax = 3;

// Protean's filter_on_origin: true without origin_stream, else when the
// message's metadata.domain.origin_stream is of that category.
bool OfOriginStream(const Message& m, const std::optional<std::string>& origin_stream) {
  return !origin_stream || StreamCategory(m.metadata.origin_stream) == *origin_stream;
}

}  // namespace

EventStoreSubscription::EventStoreSubscription(SubscriptionDeps deps, EventStore* store,
                                               const HandlerRegistration& handler,
                                               SubscriptionConfig config)
    : SubscriptionBase(std::move(deps), handler, std::move(config)),
      store_(store),
      position_streams_(EventStorePositionStreams(handler, config_, NamedInstance(deps_))),
      position_stream_(position_streams_.front()),
      failed_stream_(FailedPositionsStream(SubscriberName(handler), handler.stream) +
                     Suffix(config_, NamedInstance(deps_))),
      checkpoint_stream_(RecoveryCheckpointStream(SubscriberName(handler), handler.stream) +
                         Suffix(config_, NamedInstance(deps_))) {
  exhausted_ = deps_.metrics->GetCounter("protean_subscription_exhausted", labels_);
}

EngineEvent EventStoreSubscription::Event(EngineEventKind kind, const EventMessage& m) const {
  EngineEvent e = SubscriptionBase::Event(
      kind, m.global_position > 0 ? std::to_string(m.global_position) : "", m.id, attempt_);
  if (!m.stream_name.empty()) e.stream = m.stream_name;
  return e;
}

void EventStoreSubscription::Start() {
  PROTEAN_CHECK(state_ == State::kIdle);
  state_ = State::kRunning;
  Report(Event(EngineEventKind::kSubscriptionStarted, EventMessage{}));
  LoadPosition();
}

std::string EventStorePositionStream(const HandlerRegistration& handler,
                                     const SubscriptionConfig& config,
                                     const std::string& named_instance) {
  return ProteanStream("position", handler, Suffix(config, named_instance));
}

std::vector<std::string> EventStorePositionStreams(const HandlerRegistration& handler,
                                                   const SubscriptionConfig& config,
                                                   const std::string& named_instance) {
  const std::string suffix = Suffix(config, named_instance);
  std::vector<std::string> out{ProteanStream("position", handler, suffix),
                               LegacyPositionStream(handler, suffix)};
  if (!suffix.empty()) out.push_back(ProteanStream("position", handler, ""));
  return out;
}

Result<std::optional<StoredPositionRead>> ReadStoredPosition(
    EventStore& store, const std::vector<std::string>& streams) {
  for (size_t i = 0; i < streams.size(); ++i) {
    Result<std::optional<EventMessage>> last = store.LastMessage(streams[i], std::nullopt);
    if (!last.ok()) return last.status();
    if (last->has_value()) {
      return std::optional<StoredPositionRead>(StoredPositionRead{i, std::move(**last)});
    }
  }
  return std::optional<StoredPositionRead>();
}

std::string PositionData(int64_t position) {
  return "{\"position\": " + std::to_string(position) + "}";
}

int64_t StoredPosition(const EventMessage& m) {
  auto j = nlohmann::json::parse(m.data, nullptr, false);
  if (j.is_object() && j.contains("position") && j["position"].is_number_integer()) {
    return j["position"].get<int64_t>();
  }
  return 0;
}

void EventStoreSubscription::LoadPosition() {
  Offload<std::optional<StoredPositionRead>>(
      InFlight::kSetup,
      [store = store_, streams = position_streams_] { return ReadStoredPosition(*store, streams); },
      [this](Result<std::optional<StoredPositionRead>> r) {
        if (!r.ok()) {
          // Never start from the beginning because the store is down: read again.
          Error("read_position", r.status(), "read position");
          if (running()) {
            deps_.loop->PostAfter(deps_.FailureBackoff(), Guard([this] { LoadPosition(); }));
          }
          MaybeIdle();
          return;
        }
        const StoredPositionRead* found = r->has_value() ? &**r : nullptr;
        if (found != nullptr) {
          position_ = written_position_ = StoredPosition(found->message);
          // Found under another name (this engine's older one, or the
          // subscription's shared one for a member or named instance): read
          // once; the first write goes to position_stream_, still empty.
          if (found->stream_index == 0) position_version_ = found->message.position;
        }
        LogRecord log;
        log.level = LogLevel::kInfo;
        log.at = deps_.loop->Now();
        log.instance = deps_.instance;
        log.event = "subscription.position_loaded";
        log.With("handler", handler_.name)
            .With("category", handler_.stream)
            .With("position_stream", position_stream_)
            .With("position", std::to_string(position_));
        if (found == nullptr) {
          log.message = "no stored position: reading the category from the start";
        } else if (found->stream_index == 0) {
          log.message = "resuming after the stored position";
        } else {
          const std::string& from = position_streams_[found->stream_index];
          log.With("read_from", from);
          log.message = "resuming after the position stored in " + from + " (" +
                        (found->stream_index == 1 ? "this engine's older name"
                                                  : "the subscription's shared stream") +
                        "); it is written to " + position_stream_ + " from now on";
        }
        deps_.log(log);
        if (config_.enable_recovery) {
          LoadRecovery();  // then the first tick
        } else {
          ScheduleTick(Duration{0});
        }
        MaybeIdle();
      });
}

void EventStoreSubscription::Tick() {
  if (!running() || work_.of(InFlight::kFetch) > 0 || runner_.busy() || retry_timer_ != 0 ||
      recording_ || recovering_) {
    return;
  }
  if (!batch_.empty()) {
    ProcessNext();
    return;
  }
  // Protean's poll loop: tick, then maybe_run_recovery (py:1156-1163).
  if (MaybeStartRecoveryPass()) return;
  Read(position_);
}

// Reads one batch of the category after global position `after` and, when it
// comes back full, the batch after that in the same hand-off: the worker
// starts the second round trip as the first ends, instead of the first's
// answer going to the loop and the loop's next read back to a worker (two
// thread hand-offs between round trips). Each batch reaches OnRead as it is
// answered; the fetch counts in flight until the second is answered, or until
// the first when it was not full (then there is no second).
void EventStoreSubscription::Read(int64_t after) {
  CategoryRead read;
  read.position = after + 1;
  read.batch_size = config_.messages_per_tick;
  // origin_stream is filtered after the read, on Protean's field (below), not
  // on Message DB's correlationStreamName, which Protean never writes.
  if (config_.consumer_group_size) {
    read.consumer_group =
        ConsumerGroup{*config_.consumer_group_member, *config_.consumer_group_size};
  }
  // Written by the worker before each answer is posted; the loop reads a
  // field only in the done posted after it was written.
  struct Chain {
    std::optional<Result<std::vector<EventMessage>>> first, second;
    bool more = false;  // the first was full: the second is read
    int64_t second_after = 0;
  };
  auto chain = std::make_shared<Chain>();
  // The fetch's count is taken in GuardAlive (even after Abandon); the
  // batch reaches OnRead only while the subscription is not abandoned.
  auto on_read =
      Guard([this](int64_t a, Result<std::vector<EventMessage>> r) { OnRead(a, std::move(r)); });
  work_.Add(InFlight::kFetch);
  Executor::Sequence reads;
  reads.emplace_back(
      [store = store_, cat = handler_.stream, read, chain]() -> Duration {
        chain->first.emplace(store->ReadCategory(cat, read));
        const Result<std::vector<EventMessage>>& r = *chain->first;
        chain->more = r.ok() && static_cast<int64_t>(r->size()) >= read.batch_size;
        if (chain->more) chain->second_after = r->back().global_position;
        return Duration{0};
      },
      GuardAlive([this, after, chain, on_read]() mutable {
        if (!chain->more) work_.Done(InFlight::kFetch);
        on_read(after, std::move(*chain->first));
      }));
  reads.emplace_back(
      [store = store_, cat = handler_.stream, read, chain]() mutable -> Duration {
        if (!chain->more) return Duration{0};
        read.position = chain->second_after + 1;
        chain->second.emplace(store->ReadCategory(cat, read));
        return Duration{0};
      },
      GuardAlive([this, chain, on_read]() mutable {
        if (!chain->more) return;
        work_.Done(InFlight::kFetch);
        on_read(chain->second_after, std::move(*chain->second));
      }));
  deps_.loop->OffloadSequence(std::move(reads));
}

// Read-ahead: while the messages read are handled, the next batches are read
// (Read: two when the first is full), so the store's round trips overlap the
// handling instead of following it. At most one Read is out, and at most two
// batches wait beyond the messages being handled. None while a retry waits,
// a record is written, a pass runs or a recovery pass is due (the batch must
// run out for Tick to start it).
void EventStoreSubscription::MaybeReadAhead() {
  if (!running() || work_.of(InFlight::kFetch) > 0 || retry_timer_ != 0 || recording_ ||
      recovering_ || RecoveryPassDue()) {
    return;
  }
  if (batch_.empty() || static_cast<int64_t>(batch_.size()) > config_.messages_per_tick) return;
  Read(batch_.back().global_position);
}

void EventStoreSubscription::OnRead(int64_t after, Result<std::vector<EventMessage>> r) {
  const bool ahead = !batch_.empty();  // read while messages before it are handled
  if (!r.ok()) {
    Error("read", r.status(), "read category");
    if (!ahead) ScheduleTick(deps_.FailureBackoff());  // else read again once they ran out
    MaybeIdle();
    return;
  }
  Recovered("read");
  // The messages join only where the read began: at the last message read,
  // or the position when none waits. Anything else means the batch was
  // dropped meanwhile (a failed record write: read again from the position),
  // and this read with it.
  if ((ahead ? batch_.back().global_position : position_) != after) {
    if (running() && batch_.empty()) ScheduleTick(Duration{0});
    MaybeIdle();
    return;
  }
  for (auto& m : *r) batch_.push_back(std::move(m));
  if (!running()) {
    MaybeIdle();
    return;
  }
  if (batch_.empty()) {
    ScheduleTick(
        std::max(IdlePollDelay(deps_, ++empty_reads_), SecondsF(config_.tick_interval_seconds)));
    return;
  }
  if (r->empty()) return;  // read ahead, caught up: ProcessNext polls once the batch runs out
  empty_reads_ = 0;
  ProcessNext();
}

void EventStoreSubscription::ProcessNext() {
  if (!running()) {
    MaybeIdle();
    return;
  }
  if (runner_.busy() || retry_timer_ != 0 || recording_ || recovering_ || write_waiting_) return;
  if (batch_.empty()) {
    ScheduleTick(SecondsF(config_.tick_interval_seconds));
    return;
  }
  attempt_ = 0;
  Attempt();
}

void EventStoreSubscription::Attempt() {
  const EventMessage& m = batch_.front();
  auto message = std::make_shared<Message>();  // decoded in place
  const Status decoded = DecodeEventMessageInto(m, message.get());
  // Protean's filter_on_origin (event_store_subscription.py:407-433): keep a
  // message whose metadata.domain.origin_stream has this category. Others are
  // stepped over (the position moves past them).
  if (decoded.ok() && !OfOriginStream(*message, config_.origin_stream)) {
    Advance(m.global_position);
    deps_.loop->Post(Guard([this] { ProcessNext(); }));
    return;
  }
  ++attempt_;
  if (attempt_ == 1 && observed()) Report(Event(EngineEventKind::kDelivered, m));
  if (!decoded.ok()) {
    // Undecodable: never retried; recorded Exhausted before the position moves.
    processed_failed_->Inc();
    first_failure_ = deps_.loop->Now();
    AttemptResult undecodable;
    undecodable.outcome = AttemptOutcome::kUndecodable;
    undecodable.reason = "undecodable: " + decoded.message();
    RecordThenAdvance(m, undecodable, /*exhausted=*/true);
    return;
  }
  if (IsExpired(message->metadata, deps_.loop->Now())) {
    SkipExpired(m, message->type);
    return;
  }
  message->attempt = attempt_;
  if (observed()) Report(Event(EngineEventKind::kAttemptStarted, m));
  // Before the run is decoded, so the store works on the next batch meanwhile.
  MaybeReadAhead();
  // The head, then on its first attempt the messages after it that need no
  // step of their own (below), in one hand-off to a worker: it halts at the
  // first that does not succeed, so they are still handled one at a time,
  // in order, and a failure is retried or recorded before anything after it.
  std::vector<AttemptRunner::Item> items;
  items.push_back(RunItem(m, /*head=*/true));
  items.back().message = std::move(message);
  const size_t room = RunRoom();
  for (size_t i = 1; attempt_ == 1 && i < batch_.size() && i < room; ++i) {
    items.push_back(RunItem(batch_[i], /*head=*/false));
    items.back().decode = LaterDecoder(batch_[i]);
  }
  runner_.RunSequence(std::move(items), nullptr, AttemptRunner::Order::kHaltOnFailure);
}

// A later message of a run is decoded on the worker (off the loop), as its
// first attempt. One that does not decode or is not of the origin stream is
// not attempted there (the runner reports it undecodable, not attempted, and
// halts); OnAttempt then takes it as the head, where the loop decides its own
// step. One that has expired is skipped by the runner.
std::function<Status(Message*)> EventStoreSubscription::LaterDecoder(const EventMessage& m) const {
  // A copy the worker owns: the batch may go before a late worker gets to it.
  return [row = std::make_shared<const EventMessage>(m),
          origin_stream = config_.origin_stream](Message* out) -> Status {
    PROTEAN_RETURN_IF_ERROR(DecodeEventMessageInto(*row, out));
    if (!OfOriginStream(*out, origin_stream)) {
      return Status::InvalidArgument("not of the origin stream");
    }
    out->attempt = 1;
    return Status::Ok();
  };
}

AttemptRunner::Item EventStoreSubscription::RunItem(const EventMessage& m, bool head) {
  AttemptRunner::Item item;
  item.done = [this, pos = m.global_position, head](const AttemptResult& r) {
    OnAttempt(pos, head, r);
  };
  return item;
}

void EventStoreSubscription::OnAttempt(int64_t global_position, bool head, const AttemptResult& r) {
  PROTEAN_CHECK(!batch_.empty() && batch_.front().global_position == global_position);
  const EventMessage& m = batch_.front();
  if (!head && !r.attempted && r.outcome == AttemptOutcome::kUndecodable) {
    // Needs a step of its own (LaterDecoder): the head now, decided by the loop.
    ProcessNext();
    MaybeIdle();
    return;
  }
  if (!head) {
    attempt_ = 1;  // a later message of the run: the head now, on its first attempt
    if (observed()) ReportLaterStart(m, r);
  }
  if (r.outcome == AttemptOutcome::kExpired) {
    // Expired between the loop's check and the worker's: skipped as above.
    SkipExpired(m, r.message->type);
    return;
  }
  if (observed()) {
    // Each event copies the message's names: built only for an observer.
    EngineEvent fin = Event(EngineEventKind::kAttemptFinished, m);
    fin.outcome = std::string(AttemptOutcomeName(r.outcome));
    fin.detail = r.reason;
    Report(std::move(fin));
  }
  duration_->Observe(ToSecondsF(r.elapsed));
  if (r.outcome == AttemptOutcome::kOk) {
    processed_ok_->Inc();
    Advance(m.global_position);
  } else {
    processed_failed_->Inc();
    if (attempt_ == 1) first_failure_ = deps_.loop->Now();
    if (config_.enable_recovery && r.outcome != AttemptOutcome::kUndecodable) {
      // No retry in place: recorded, then the position moves on; the
      // recovery pass retries it (py:684-724). Undecodable: Exhausted below.
      LogMessage(LogLevel::kWarning, "handler.failed", std::to_string(m.global_position),
                 r.message.get(), m.id, attempt_,
                 std::string(AttemptOutcomeName(r.outcome)) + ": " + r.reason +
                     " (recorded for the recovery pass)");
      RecordThenAdvance(m, r, /*exhausted=*/false);
      MaybeIdle();
      return;
    }
    const bool retry = r.outcome != AttemptOutcome::kUndecodable && attempt_ < config_.max_retries;
    LogMessage(LogLevel::kWarning, "handler.failed", std::to_string(m.global_position),
               r.message.get(), m.id, attempt_,
               std::string(AttemptOutcomeName(r.outcome)) + ": " + r.reason +
                   (retry ? " (will retry)" : ""));
    if (retry && running()) {
      ScheduleRetry(m);
      MaybeIdle();
      return;
    }
    if (!retry) {
      RecordThenAdvance(m, r, /*exhausted=*/true);
      MaybeIdle();
      return;
    }
    // else: stopping; the message runs again after a restart (position not advanced).
  }
  ProcessNext();
  MaybeIdle();
}

// A later message of a run is told delivered and started as it ends (the
// worker starts it without telling the loop). One that expired on the worker
// was delivered but never attempted.
void EventStoreSubscription::ReportLaterStart(const EventMessage& m, const AttemptResult& r) const {
  EngineEvent delivered = Event(EngineEventKind::kDelivered, m);
  delivered.at = r.started;
  Report(std::move(delivered));
  if (r.attempted) {
    EngineEvent started = Event(EngineEventKind::kAttemptStarted, m);
    started.at = r.started;
    Report(std::move(started));
  }
}

// As on streams (server/engine.py:779-820): an expired command is skipped,
// the position moves on.
void EventStoreSubscription::SkipExpired(const EventMessage& m, const std::string& type) {
  deps_.metrics->GetCounter("protean_command_expired", {{"command_type", type}})->Inc();
  EngineEvent e = Event(EngineEventKind::kDropped, m);
  e.detail = "expired: deadline passed";
  Report(std::move(e));
  Advance(m.global_position);
  deps_.loop->Post(Guard([this] { ProcessNext(); }));
}

void EventStoreSubscription::ScheduleRetry(const EventMessage& m) {
  const Duration delay = RetryDelay(config_, attempt_, *deps_.prng);
  retries_counter_->Inc();
  const TimePoint now = deps_.loop->Now();
  EngineEvent e = Event(EngineEventKind::kRetryScheduled, m);
  e.at = now;
  e.due = now + delay;
  e.value = delay.count();
  Report(std::move(e));
  LogMessage(LogLevel::kInfo, "handler.retry_scheduled", std::to_string(m.global_position), nullptr,
             m.id, attempt_,
             "attempt " + std::to_string(attempt_ + 1) + " in " +
                 std::to_string(ToSecondsF(delay)) + " s");
  retry_timer_ = deps_.loop->PostAt(now + delay, Guard([this] {
                                      retry_timer_ = 0;
                                      if (running()) {
                                        Attempt();
                                      } else {
                                        MaybeIdle();
                                      }
                                    }));
}

void EventStoreSubscription::Advance(int64_t global_position) {
  batch_.pop_front();
  position_ = global_position;
  if (++since_write_ >= config_.position_update_interval) PositionDue();
}

void EventStoreSubscription::PositionDue() {
  if (interval_write_running_) {
    write_waiting_ = true;  // ProcessNext starts nothing until it is answered
    return;
  }
  WriteIntervalPosition();
}

void EventStoreSubscription::WriteIntervalPosition() {
  interval_write_running_ = true;
  WritePosition([this] {
    interval_write_running_ = false;
    if (write_waiting_) {
      write_waiting_ = false;
      WriteIntervalPosition();
    }
    // Posted: the answer may come at once, inside the Advance that asked.
    deps_.loop->Post(Guard([this] { ProcessNext(); }));
  });
}

size_t EventStoreSubscription::RunRoom() const {
  // To the next due write, and one interval past it when no write runs now
  // (the next one is issued there; handling waits at the one after if it
  // is still running).
  const int64_t interval = config_.position_update_interval;
  const int64_t room =
      std::max<int64_t>(interval - since_write_, 1) + (interval_write_running_ ? 0 : interval);
  return static_cast<size_t>(room);
}

void EventStoreSubscription::WritePosition(std::function<void()> done) {
  since_write_ = 0;
  if (position_ <= written_position_) {  // stored already, by us or by another process
    if (done) done();
    return;
  }
  WritePositionTry(position_, kPositionWriteTriesMax, std::move(done));
}

void EventStoreSubscription::WritePositionTry(int64_t pos, int tries_left,
                                              std::function<void()> done) {
  NewEventMessage w;
  w.id = deps_.prng->Uuid();
  w.stream_name = position_stream_;
  w.type = "Read";  // Protean's record (event_store_subscription.py:368-405)
  w.data = PositionData(pos);
  w.metadata = RecordMetadata(w.id, w.type, deps_.loop->Now(), position_stream_, handler_.stream);
  // Conditional on the version we know: another process writing meanwhile
  // makes it a conflict, never a silent step back.
  const std::optional<int64_t> expected = position_version_.value_or(-1);
  // Reported even after Abandon: the store has (or has not) the position.
  OffloadPastAbandon<int64_t>(
      InFlight::kWrite, [store = store_, w, expected] { return store->Write(w, expected); },
      [this, pos, tries_left, done = std::move(done)](Result<int64_t> r) mutable {
        if (r.ok()) {
          written_position_ = std::max(written_position_, pos);
          position_version_ = *r;
          EngineEvent e = Event(EngineEventKind::kPositionWritten, EventMessage{});
          e.value = pos;
          Report(std::move(e));
        } else if (r.status().IsConflict() && tries_left > 1) {
          OnPositionConflict(pos, tries_left - 1, std::move(done));
          return;
        } else {
          Error("write_position", r.status(), "write position");
        }
        if (done) done();
        MaybeIdle();
      });
}

void EventStoreSubscription::OnPositionConflict(int64_t pos, int tries_left,
                                                std::function<void()> done) {
  OffloadPastAbandon<std::optional<EventMessage>>(
      InFlight::kWrite,
      [store = store_, s = position_stream_] { return store->LastMessage(s, std::nullopt); },
      [this, pos, tries_left,
       done = std::move(done)](Result<std::optional<EventMessage>> r) mutable {
        if (!r.ok() || !r->has_value()) {
          Error("write_position",
                r.ok() ? Status::NotFound("position stream is empty") : r.status(),
                "write position");
          if (done) done();
          MaybeIdle();
          return;
        }
        position_version_ = (*r)->position;
        const int64_t stored = StoredPosition(**r);
        written_position_ = std::max(written_position_, stored);
        if (stored >= pos) {
          // Another process is ahead: its position stands.
          if (done) done();
          MaybeIdle();
          return;
        }
        WritePositionTry(pos, tries_left, std::move(done));
      });
}

void EventStoreSubscription::StopFetching(std::function<void()> on_idle) {
  BeginStop(std::move(on_idle));
  // The head's attempt ends the drain, as when each message was handed off
  // alone; the rest of its run is not started (those messages stay after
  // the position: read again by the next run).
  runner_.CancelPending(AttemptRunner::CancelScope::kAfterCurrent);
  CancelTimer(&retry_timer_);
  if (recovery_timer_ != 0) {
    CancelTimer(&recovery_timer_);
    recovering_ = false;  // the pass ends here; its positions stay recorded
  }
  MaybeIdle();
}

void EventStoreSubscription::Abandon() {
  BeginAbandon();
  CancelTimer(&retry_timer_);
  CancelTimer(&recovery_timer_);
}

void EventStoreSubscription::Flush(std::function<void()> done) {
  // Also after a drain cut-off: everything up to position_ was handled.
  WritePosition(std::move(done));
}

}  // namespace protean
