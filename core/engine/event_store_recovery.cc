// Protean's failed-position records and recovery pass
// (src/protean/server/subscription/event_store_subscription.py:742-1145):
// the record codec (event_store_recovery.h) and the EventStoreSubscription
// members that write, rebuild and retry them.

#include "core/engine/event_store_recovery.h"

#include <nlohmann/json.hpp>

#include "core/engine/event_store_subscription.h"
#include "core/engine/message.h"
#include "core/internal/iso_time.h"
#include "core/internal/py_json.h"

namespace protean {

std::string FailedPositionsStream(const std::string& subscriber, const std::string& category) {
  return "failed-" + subscriber + "-" + category;  // py:218-220
}

std::string RecoveryCheckpointStream(const std::string& subscriber, const std::string& category) {
  return "recovery-checkpoint-" + subscriber + "-" + category;  // py:221-223
}

std::string RecordMetadata(const std::string& id, const std::string& type, TimePoint at,
                           const std::string& stream, const std::string& category) {
  std::string out = "{\"headers\": {\"id\": ";
  py_json::AppendString(&out, id);
  out += ", \"type\": ";
  py_json::AppendString(&out, type);
  out += ", \"time\": ";
  py_json::AppendString(&out, internal::FormatIsoTime(at));
  out += ", \"stream\": ";
  py_json::AppendString(&out, stream);
  out += "}, \"domain\": {\"kind\": \"READ_POSITION\", \"origin_stream\": ";
  py_json::AppendString(&out, category);
  out += "}}";
  return out;
}

namespace {

using nlohmann::json;

json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string StringOr(const json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::optional<int64_t> IntOf(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

FailedPosition InfoFrom(const json& j) {
  FailedPosition f;
  f.retry_count = IntOf(j, "retry_count").value_or(0);
  f.stream_name = StringOr(j, "stream_name", "");
  f.stream_position = IntOf(j, "stream_position");
  f.message_type = StringOr(j, "message_type", "unknown");
  f.message_id = StringOr(j, "message_id", "unknown");
  f.reason = StringOr(j, "reason", "");
  return f;
}

// metadata.headers.type (what Protean reads, py:895-899), else the row's type.
std::string RecordType(const EventMessage& m) {
  if (!m.metadata.empty()) {
    json meta = json::parse(m.metadata, nullptr, false);
    if (meta.is_object()) {
      auto h = meta.find("headers");
      if (h != meta.end() && h->is_object()) {
        const std::string t = StringOr(*h, "type", "");
        if (!t.empty()) return t;
      }
    }
  }
  return m.type;
}

}  // namespace

NewEventMessage EncodeRecoveryRecord(const RecoveryRecord& record, const std::string& stream,
                                     const std::string& category, const std::string& id,
                                     TimePoint now) {
  json data = {{"position", record.position},
               {"message_type", record.info.message_type},
               {"message_id", record.info.message_id},
               {"retry_count", record.info.retry_count}};
  if (record.type == kRecordFailed) {  // py:776-781
    data["stream_name"] = OrNull(record.info.stream_name);
    data["stream_position"] =
        record.info.stream_position ? json(*record.info.stream_position) : json(nullptr);
  }
  if (!record.reason.empty()) data["reason"] = record.reason;
  NewEventMessage w;
  w.id = id;
  w.stream_name = stream;
  w.type = record.type;
  w.data = data.dump();
  w.metadata = RecordMetadata(id, record.type, now, stream, category);
  return w;
}

NewEventMessage EncodeCheckpoint(int64_t watermark, const FailedPositions& unresolved,
                                 const std::string& stream, const std::string& category,
                                 const std::string& id, TimePoint now) {
  json snapshot = json::object();  // py:948-949: string keys
  for (const auto& [pos, f] : unresolved) {
    snapshot[std::to_string(pos)] = {
        {"retry_count", f.retry_count},
        {"stream_name", OrNull(f.stream_name)},
        {"stream_position", f.stream_position ? json(*f.stream_position) : json(nullptr)},
        {"message_type", f.message_type},
        {"message_id", f.message_id}};
  }
  NewEventMessage w;
  w.id = id;
  w.stream_name = stream;
  w.type = kRecordCheckpoint;
  w.data = json{{"watermark", watermark}, {"unresolved", snapshot}}.dump();
  w.metadata = RecordMetadata(id, kRecordCheckpoint, now, stream, category);
  return w;
}

Checkpoint DecodeCheckpoint(const EventMessage& m) {
  Checkpoint cp;
  json data = json::parse(m.data, nullptr, false);
  if (!data.is_object()) return cp;
  cp.watermark = IntOf(data, "watermark").value_or(0);
  auto u = data.find("unresolved");
  if (u == data.end() || !u->is_object()) return cp;
  for (const auto& [key, info] : u->items()) {
    if (!info.is_object()) continue;
    char* end = nullptr;
    const long long pos = std::strtoll(key.c_str(), &end, 10);
    if (end == key.c_str() || *end != '\0') continue;
    cp.unresolved[pos] = InfoFrom(info);
  }
  return cp;
}

void ApplyRecoveryRecords(const std::vector<EventMessage>& records, FailedPositions* positions) {
  for (const EventMessage& m : records) {
    json data = json::parse(m.data, nullptr, false);
    if (!data.is_object()) continue;
    const std::optional<int64_t> pos = IntOf(data, "position");
    const std::string type = RecordType(m);
    if (!pos || type.empty()) continue;
    if (type == kRecordResolved || type == kRecordExhausted) {
      positions->erase(*pos);
    } else if (type == kRecordFailed) {
      (*positions)[*pos] = InfoFrom(data);
    }
  }
}

// --- the subscription's side -----------------------------------------------

namespace {

// Failed-stream records read per call while rebuilding; Protean reads up to
// 10000 in one call (py:884-889), this pages through all of them.
constexpr int64_t kRecordsPerRead = 1000;
constexpr int64_t kRecordPagesMax = 1'000'000;

}  // namespace

void EventStoreSubscription::LoadRecovery() {
  // _rebuild_retry_counts (py:855-934): the checkpoint's snapshot, then the
  // records written after its watermark.
  Offload<std::optional<EventMessage>>(
      InFlight::kSetup,
      [store = store_, s = checkpoint_stream_] { return store->LastMessage(s, std::nullopt); },
      [this](Result<std::optional<EventMessage>> r) {
        if (!r.ok()) {
          Error("read_recovery", r.status(), "read recovery checkpoint");
          if (running()) {
            deps_.loop->PostAfter(deps_.FailureBackoff(), Guard([this] { LoadRecovery(); }));
          }
          MaybeIdle();
          return;
        }
        Checkpoint cp = r->has_value() ? DecodeCheckpoint(**r) : Checkpoint{};
        failed_positions_ = std::move(cp.unresolved);
        ReadFailedRecords(cp.watermark, false, kRecordPagesMax);
      });
}

void EventStoreSubscription::ReadFailedRecords(int64_t from, bool read_any, int64_t pages_left) {
  Offload<std::vector<EventMessage>>(
      InFlight::kSetup,
      [store = store_, s = failed_stream_, from] {
        return store->ReadStream(s, from, kRecordsPerRead);
      },
      [this, from, read_any, pages_left](Result<std::vector<EventMessage>> r) {
        if (!r.ok()) {
          Error("read_recovery", r.status(), "read failed positions");
          if (running()) {
            deps_.loop->PostAfter(deps_.FailureBackoff(), Guard([this] { LoadRecovery(); }));
          }
          MaybeIdle();
          return;
        }
        ApplyRecoveryRecords(*r, &failed_positions_);
        const int64_t next = r->empty() ? from : r->back().position + 1;
        if (static_cast<int64_t>(r->size()) == kRecordsPerRead && pages_left > 1) {
          ReadFailedRecords(next, true, pages_left - 1);
          return;
        }
        if (read_any || !r->empty()) {
          // A new checkpoint, so the next start reads only what follows it
          // (py:927-928). An optimisation: a failed write is only logged.
          NewEventMessage w =
              EncodeCheckpoint(next, failed_positions_, checkpoint_stream_, handler_.stream,
                               deps_.prng->Uuid(), deps_.loop->Now());
          OffloadPastAbandon<int64_t>(
              InFlight::kWrite, [store = store_, w] { return store->Write(w, std::nullopt); },
              [this](Result<int64_t> res) {
                if (!res.ok()) Error("write_recovery", res.status(), "write recovery checkpoint");
                MaybeIdle();
              });
        }
        recovery_loaded_ = true;
        LogRecord log;
        log.level = LogLevel::kInfo;
        log.at = deps_.loop->Now();
        log.instance = deps_.instance;
        log.event = "subscription.recovery_loaded";
        log.With("handler", handler_.name)
            .With("failed_stream", failed_stream_)
            .With("unresolved", std::to_string(failed_positions_.size()));
        log.message = "failed positions pending recovery";
        deps_.log(log);
        ScheduleTick(Duration{0});
        MaybeIdle();
      });
}

void EventStoreSubscription::WriteRecoveryRecord(const RecoveryRecord& record,
                                                 std::function<void(bool ok)> done) {
  NewEventMessage w = EncodeRecoveryRecord(record, failed_stream_, handler_.stream,
                                           deps_.prng->Uuid(), deps_.loop->Now());
  // Dropped after Abandon: a crashed instance moves nothing on.
  Offload<int64_t>(
      InFlight::kWrite, [store = store_, w] { return store->Write(w, std::nullopt); },
      [this, done = std::move(done)](Result<int64_t> r) {
        if (!r.ok()) Error("record_failure", r.status(), "record failed position");
        done(r.ok());
      });
}

void EventStoreSubscription::RecordThenAdvance(const EventMessage& m, const AttemptResult& r,
                                               bool exhausted) {
  // _record_failed_position, then update_read_position (py:684-724): the
  // record is durable before the position moves past the message.
  const int64_t pos = m.global_position;
  RecoveryRecord rec;
  rec.type = exhausted ? kRecordExhausted : kRecordFailed;
  rec.position = pos;
  auto known = failed_positions_.find(pos);
  rec.info.retry_count = known != failed_positions_.end() ? known->second.retry_count : 0;
  if (exhausted) rec.info.retry_count = std::max<int64_t>(0, attempt_ - 1);
  rec.info.stream_name = m.stream_name;
  rec.info.stream_position = m.position;
  rec.info.message_type = m.type.empty() ? "unknown" : m.type;
  rec.info.message_id = m.id.empty() ? "unknown" : m.id;
  rec.info.reason = r.reason;
  rec.reason = r.reason;
  recording_ = true;
  WriteRecoveryRecord(rec, [this, rec, exhausted](bool ok) {
    recording_ = false;
    PROTEAN_CHECK(!batch_.empty() && batch_.front().global_position == rec.position);
    if (!ok) {
      // Not advanced: the message is read and handled again (Protean's tick
      // raises before update_read_position, py:690-692).
      batch_.clear();
      if (running()) ScheduleTick(deps_.FailureBackoff());
      MaybeIdle();
      return;
    }
    const EventMessage& head = batch_.front();
    if (exhausted) {
      exhausted_->Inc();
      failed_positions_.erase(rec.position);
      EngineEvent e = Event(EngineEventKind::kDropped, head);
      e.detail = "recorded Exhausted in " + failed_stream_ + ": " + rec.reason;
      LogMessage(LogLevel::kError, "handler.failure_recorded", std::to_string(rec.position),
                 nullptr, head.id, attempt_, e.detail);
      Report(std::move(e));
    } else {
      failed_positions_[rec.position] = rec.info;
      EngineEvent e = Event(EngineEventKind::kFailureRecorded, head);
      e.value = rec.info.retry_count;
      e.detail = failed_stream_;
      Report(std::move(e));
    }
    Advance(rec.position);
    ProcessNext();
    MaybeIdle();
  });
}

// maybe_run_recovery (py:1131-1145): the first poll runs a pass at once,
// later ones once recovery_interval_seconds have passed since the last.
bool EventStoreSubscription::RecoveryPassDue() const {
  if (!config_.enable_recovery || !recovery_loaded_) return false;
  return !last_recovery_ ||
         deps_.loop->Now() - *last_recovery_ >= SecondsF(config_.recovery_interval_seconds);
}

bool EventStoreSubscription::MaybeStartRecoveryPass() {
  if (!RecoveryPassDue()) return false;
  last_recovery_ = deps_.loop->Now();
  if (failed_positions_.empty()) return false;  // run_recovery_pass returns 0 (py:993-995)
  recovering_ = true;
  pass_.clear();
  for (const auto& [pos, _] : failed_positions_) pass_.push_back(pos);
  pass_next_ = 0;
  EngineEvent e = SubscriptionBase::Event(EngineEventKind::kRecoveryPass, "", "", 0);
  e.value = static_cast<int64_t>(pass_.size());
  e.detail = failed_stream_;
  Report(std::move(e));
  RecoverNext();
  return true;
}

void EventStoreSubscription::EndRecoveryPass(Duration next_tick) {
  recovering_ = false;
  pass_.clear();
  pass_next_ = 0;
  if (running()) ScheduleTick(next_tick);
  MaybeIdle();
}

EngineEvent EventStoreSubscription::RecoveryEvent(EngineEventKind kind, int64_t pos,
                                                  const FailedPosition& f, int64_t attempt) const {
  // A message id Protean did not know ("unknown") is left out: readers find
  // the message by (stream, global position).
  EngineEvent e = SubscriptionBase::Event(kind, std::to_string(pos),
                                          f.message_id == "unknown" ? "" : f.message_id, attempt);
  if (!f.stream_name.empty()) e.stream = f.stream_name;
  return e;
}

void EventStoreSubscription::RecoverNext() {
  // run_recovery_pass (py:981-1129), one position at a time.
  if (!running()) {
    EndRecoveryPass(Duration{0});
    return;
  }
  while (pass_next_ < pass_.size() && failed_positions_.count(pass_[pass_next_]) == 0) {
    ++pass_next_;
  }
  if (pass_next_ >= pass_.size()) {
    EndRecoveryPass(Duration{0});
    return;
  }
  const int64_t pos = pass_[pass_next_++];
  const FailedPosition& f = failed_positions_.at(pos);
  const int64_t retry = f.retry_count + 1;
  if (retry > config_.recovery_max_retries) {  // py:1012-1041
    Exhaust(pos, retry, f.reason);
    return;
  }
  RecoverRead(pos);
}

void EventStoreSubscription::Exhaust(int64_t pos, int64_t retry_count, const std::string& reason) {
  RecoveryRecord rec;
  rec.type = kRecordExhausted;
  rec.position = pos;
  rec.info = failed_positions_.at(pos);
  rec.info.retry_count = retry_count;
  rec.reason = reason;
  WriteRecoveryRecord(rec, [this, rec](bool ok) {
    if (!ok) {
      EndRecoveryPass(deps_.FailureBackoff());
      return;
    }
    failed_positions_.erase(rec.position);
    exhausted_->Inc();
    EngineEvent e =
        RecoveryEvent(EngineEventKind::kDropped, rec.position, rec.info, rec.info.retry_count);
    e.detail = "recorded Exhausted in " + failed_stream_ + " after " +
               std::to_string(config_.recovery_max_retries) + " recovery retries" +
               (rec.reason.empty() ? "" : ": " + rec.reason);
    LogMessage(LogLevel::kError, "handler.exhausted", std::to_string(rec.position), nullptr,
               rec.info.message_id, rec.info.retry_count, e.detail);
    Report(std::move(e));
    RecoverNext();
  });
}

void EventStoreSubscription::RecoverRead(int64_t pos) {
  // Re-read by stream and stream position, else from the category (py:1043-1059).
  const FailedPosition& f = failed_positions_.at(pos);
  Offload<std::vector<EventMessage>>(
      InFlight::kFetch,
      [store = store_, cat = handler_.stream, stream = f.stream_name, at = f.stream_position,
       pos]() -> Result<std::vector<EventMessage>> {
        if (!stream.empty() && at) return store->ReadStream(stream, *at, 1);
        CategoryRead read;
        read.position = pos;
        read.batch_size = 1;
        return store->ReadCategory(cat, read);
      },
      [this, pos](Result<std::vector<EventMessage>> r) {
        if (!r.ok()) {
          Error("recovery_read", r.status(), "read failed position");
          EndRecoveryPass(deps_.FailureBackoff());
          return;
        }
        if (r->empty() || !running()) {
          if (r->empty()) {
            LogMessage(LogLevel::kWarning, "handler.recovery_not_found", std::to_string(pos),
                       nullptr, "", 0, "no message at this position to retry");
          }
          RecoverNext();
          return;
        }
        EventMessage row = std::move(r->front());
        const Duration delay = SecondsF(config_.recovery_retry_delay_seconds);
        if (delay <= Duration{0}) {
          RecoverAttempt(pos, row);
          return;
        }
        // Protean sleeps here (py:1077-1079); this waits on a timer.
        recovery_timer_ = deps_.loop->PostAfter(delay, Guard([this, pos, row] {
                                                  recovery_timer_ = 0;
                                                  RecoverAttempt(pos, row);
                                                }));
      });
}

void EventStoreSubscription::RecoverAttempt(int64_t pos, const EventMessage& row) {
  if (!running() || failed_positions_.count(pos) == 0) {
    RecoverNext();
    return;
  }
  const FailedPosition& f = failed_positions_.at(pos);
  const int64_t retry = f.retry_count + 1;
  Result<Message> decoded = DecodeEventMessage(row);
  if (!decoded.ok()) {
    Exhaust(pos, retry, "undecodable: " + decoded.status().message());
    return;
  }
  auto message = std::make_shared<Message>(std::move(*decoded));
  message->attempt = retry + 1;
  retries_counter_->Inc();
  LogMessage(
      LogLevel::kInfo, "handler.recovery_retry", std::to_string(pos), message.get(), row.id,
      retry + 1,
      "retry " + std::to_string(retry) + " of " + std::to_string(config_.recovery_max_retries));
  FailedPosition shown = f;
  shown.message_id = row.id;
  Report(RecoveryEvent(EngineEventKind::kAttemptStarted, pos, shown, retry + 1));
  runner_.Run(message, [this, pos, row](const AttemptResult& r) { OnRecoverAttempt(pos, row, r); });
}

void EventStoreSubscription::OnRecoverAttempt(int64_t pos, const EventMessage& row,
                                              const AttemptResult& r) {
  PROTEAN_CHECK(failed_positions_.count(pos) == 1);
  FailedPosition f = failed_positions_.at(pos);
  const int64_t retry = f.retry_count + 1;
  f.message_id = row.id.empty() ? f.message_id : row.id;
  f.message_type = row.type.empty() ? f.message_type : row.type;
  EngineEvent fin = RecoveryEvent(EngineEventKind::kAttemptFinished, pos, f, retry + 1);
  fin.outcome = std::string(AttemptOutcomeName(r.outcome));
  fin.detail = r.reason;
  Report(std::move(fin));
  duration_->Observe(ToSecondsF(r.elapsed));
  RecoveryRecord rec;
  rec.position = pos;
  rec.info = f;
  rec.info.retry_count = retry;
  if (r.outcome == AttemptOutcome::kOk) {
    processed_ok_->Inc();
    rec.type = kRecordResolved;  // py:1091-1109
  } else if (r.outcome == AttemptOutcome::kUndecodable) {
    processed_failed_->Inc();  // never decodes: no further retry
    Exhaust(pos, retry, r.reason);
    return;
  } else {
    processed_failed_->Inc();
    rec.type = kRecordFailed;  // py:1110-1127
    rec.info.reason = r.reason;
    rec.reason = r.reason;
    LogMessage(LogLevel::kWarning, "handler.failed", std::to_string(pos), r.message.get(), row.id,
               retry + 1,
               std::string(AttemptOutcomeName(r.outcome)) + ": " + r.reason + " (recovery retry " +
                   std::to_string(retry) + " of " + std::to_string(config_.recovery_max_retries) +
                   ")");
  }
  WriteRecoveryRecord(rec, [this, rec](bool ok) {
    if (!ok) {
      EndRecoveryPass(deps_.FailureBackoff());
      return;
    }
    if (rec.type == kRecordResolved) {
      failed_positions_.erase(rec.position);
      EngineEvent e = RecoveryEvent(EngineEventKind::kRecoveryResolved, rec.position, rec.info,
                                    rec.info.retry_count + 1);
      e.value = rec.info.retry_count;
      Report(std::move(e));
    } else {
      failed_positions_[rec.position] = rec.info;
      EngineEvent e = RecoveryEvent(EngineEventKind::kFailureRecorded, rec.position, rec.info,
                                    rec.info.retry_count + 1);
      e.value = rec.info.retry_count;
      e.detail = failed_stream_;
      Report(std::move(e));
    }
    RecoverNext();
  });
}

}  // namespace protean
