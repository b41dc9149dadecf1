#include "core/engine/stream_subscription.h"

#include <algorithm>

#include "core/engine/backoff.h"
#include "core/engine/offload.h"

namespace protean {
namespace {

std::optional<Duration> Budget(const SubscriptionConfig& c) {
  if (!c.handler_timeout_seconds) return std::nullopt;
  return SecondsF(*c.handler_timeout_seconds);
}

}  // namespace

StreamSubscription::StreamSubscription(SubscriptionDeps deps, Broker* broker,
                                       const HandlerRegistration& handler,
                                       SubscriptionConfig config)
    : deps_(std::move(deps)),
      broker_(broker),
      handler_(handler),
      config_(std::move(config)),
      group_(handler.name),
      consumer_(handler.name + "-" + deps_.instance),
      runner_(*deps_.loop, handler, Budget(config_), deps_.database, consumer_) {
  const MetricLabels base = {{"subscription", handler.name + "-" + handler.stream},
                             {"handler", handler.name},
                             {"stream", handler.stream}};
  auto with = [&](const char* k, const char* v) {
    MetricLabels l = base;
    l.emplace_back(k, v);
    return l;
  };
  MetricsRegistry& m = *deps_.metrics;
  processed_ok_ = m.GetCounter("protean_subscription_messages_processed", with("status", "ok"));
  processed_failed_ =
      m.GetCounter("protean_subscription_messages_processed", with("status", "error"));
  retries_counter_ = m.GetCounter("protean_subscription_retries", base);
  dlq_routed_ = m.GetCounter("protean_subscription_dlq_routed", base);
  dropped_ = m.GetCounter("protean_subscription_dropped", base);
  claimed_ = m.GetCounter("protean_subscription_claimed", base);
  duration_ = m.GetHistogram("protean_subscription_processing_duration", base);
}

StreamSubscription::~StreamSubscription() = default;

std::function<void()> StreamSubscription::Guard(std::function<void()> fn) {
  auto self = std::static_pointer_cast<StreamSubscription>(shared_from_this());
  const uint64_t epoch = epoch_;
  return [self, epoch, fn = std::move(fn)] {
    if (self->epoch_ == epoch) fn();
  };
}

EngineEvent StreamSubscription::Event(EngineEventKind kind, const std::string& entry_id,
                                      const std::string& message_id, int64_t attempt) const {
  EngineEvent e{kind};
  e.subscription = handler_.name;
  e.stream = handler_.stream;
  e.entry_id = entry_id;
  e.message_id = message_id;
  e.attempt = attempt;
  return e;
}

void StreamSubscription::Error(const std::string& what, const Status& status) {
  EngineEvent e = Event(EngineEventKind::kError, "", "", 0);
  e.detail = what + ": " + status.ToString();
  Report(deps_, std::move(e));
}

void StreamSubscription::Start() {
  PROTEAN_CHECK(state_ == State::kIdle);
  state_ = State::kRunning;
  Report(deps_, Event(EngineEventKind::kSubscriptionStarted, "", "", 0));
  Broker* broker = broker_;
  const std::string stream = handler_.stream;
  const std::string group = group_;
  OffloadStatus(
      *deps_.loop,
      [broker, stream, group] { return broker->CreateGroup(stream, group, GroupStart::kBeginning); },
      [self = std::static_pointer_cast<StreamSubscription>(shared_from_this()),
       epoch = epoch_](Status st) {
        // A failed create is not fatal: ReadNew recreates a missing group.
        if (self->epoch_ == epoch && !st.ok()) self->Error("create group", st);
      });
  // Our own pending entries first (a restart under the same consumer name, or
  // a read whose reply was lost): they are re-read through the group.
  auto self = std::static_pointer_cast<StreamSubscription>(shared_from_this());
  OffloadCall<std::vector<StreamEntry>>(
      *deps_.loop,
      [broker, stream, group, consumer = consumer_] {
        return broker->ReadPending(stream, group, consumer, "0", 1000);
      },
      [self, epoch = epoch_](Result<std::vector<StreamEntry>> r) {
        if (self->epoch_ != epoch) return;
        if (r.ok()) {
          for (auto& entry : *r) self->ready_.push_back(Delivery{std::move(entry), true});
        }
        self->ScheduleTick(Duration{0});
        self->ScheduleClaim();
        self->ScheduleHeartbeat();
      });
}

void StreamSubscription::ScheduleTick(Duration delay) {
  if (!running() || tick_timer_ != 0) return;
  tick_timer_ = deps_.loop->PostAfter(delay, Guard([this] {
    tick_timer_ = 0;
    Tick();
  }));
}

void StreamSubscription::Tick() {
  if (!running() || fetch_in_flight_) return;
  if (!ready_.empty() || !batch_.empty()) {
    ProcessNext();
    return;
  }
  // Bound the retries waiting in memory: stop fetching new work meanwhile.
  const size_t retries_max = static_cast<size_t>(std::max<int64_t>(100, 10 * config_.messages_per_tick));
  if (retries_.size() >= retries_max) return;  // a finishing retry calls Tick again
  fetch_in_flight_ = true;
  FlushAcks();
  Broker* broker = broker_;
  const int count = static_cast<int>(config_.messages_per_tick);
  const Duration block = broker_->capabilities().blocking_reads
                             ? Millis(std::min<int64_t>(config_.blocking_timeout_ms, 1000))
                             : Duration{0};
  auto self = std::static_pointer_cast<StreamSubscription>(shared_from_this());
  OffloadCall<std::vector<StreamEntry>>(
      *deps_.loop,
      [broker, stream = handler_.stream, group = group_, consumer = consumer_, count, block] {
        return broker->ReadNew(stream, group, consumer, count, block);
      },
      [self, epoch = epoch_](Result<std::vector<StreamEntry>> r) {
        if (self->epoch_ != epoch) return;
        self->OnFetched(std::move(r));
      });
}

void StreamSubscription::OnFetched(Result<std::vector<StreamEntry>> result) {
  fetch_in_flight_ = false;
  if (!result.ok()) {
    Error("read", result.status());
    // Back off on a failing broker; fetched nothing, lost nothing.
    ScheduleTick(std::max(deps_.idle_poll, Millis(100)));
    MaybeIdle();
    return;
  }
  const bool observed = deps_.observer != nullptr;
  for (auto& entry : *result) {
    if (observed) {
      EngineEvent e = Event(EngineEventKind::kDelivered, entry.id, "", entry.delivery_count);
      if (const std::string* id = FindField(entry.fields, "id")) e.message_id = *id;
      Report(deps_, std::move(e));
    }
    batch_.push_back(Delivery{std::move(entry), false});
  }
  if (!running()) {
    if (state_ == State::kStopping) ReleaseUnattempted();  // arrived after StopFetching
    MaybeIdle();
    return;
  }
  if (batch_.empty() && ready_.empty()) {
    const bool blocked = broker_->capabilities().blocking_reads;
    ScheduleTick(blocked ? Duration{0} : IdlePollDelay(deps_, ++empty_reads_));
    return;
  }
  empty_reads_ = 0;
  ProcessNext();
}

void StreamSubscription::ProcessNext() {
  if (!running()) {
    MaybeIdle();
    return;
  }
  if (runner_.busy()) return;
  std::deque<Delivery>* queue = !ready_.empty() ? &ready_ : !batch_.empty() ? &batch_ : nullptr;
  if (queue == nullptr) {
    ScheduleTick(SecondsF(config_.tick_interval_seconds));
    return;
  }
  Delivery d = std::move(queue->front());
  queue->pop_front();
  Process(std::move(d));
}

void StreamSubscription::Process(Delivery d) {
  StreamEntry& entry = d.entry;
  if (entry.deleted) {
    // Trimmed or deleted while pending: nothing left to handle (Redis [id, nil]).
    AckNow(entry.id, "", entry.delivery_count);
    deps_.loop->Post(Guard([this] { ProcessNext(); }));
    return;
  }
  if (d.claimed) {
    EngineEvent e = Event(EngineEventKind::kClaimed, entry.id, "", entry.delivery_count);
    if (const std::string* id = FindField(entry.fields, "id")) e.message_id = *id;
    Report(deps_, std::move(e));
    claimed_->Inc();
  }
  Result<Message> decoded = DecodeMessage(handler_.stream, entry);
  if (!decoded.ok()) {
    const std::string* id = FindField(entry.fields, "id");
    MoveToDlq(entry.id, entry.delivery_count, "undecodable: " + decoded.status().message(),
              id ? *id : "");
    deps_.loop->Post(Guard([this] { ProcessNext(); }));
    return;
  }
  if (entry.delivery_count > config_.max_retries && config_.max_retries > 0) {
    // A claimed entry whose attempts ran out with a consumer that died.
    // Its attempts ran out earlier: with a consumer that died, or before a
    // failed DLQ move. It goes to the DLQ without running again.
    const std::string reason =
        "attempts exhausted: delivered " + std::to_string(entry.delivery_count) + " times";
    if (config_.enable_dlq) {
      MoveToDlq(entry.id, entry.delivery_count - 1, reason, decoded->id);
    } else {
      AckNow(entry.id, decoded->id, entry.delivery_count);
      dropped_->Inc();
      Report(deps_, Event(EngineEventKind::kDropped, entry.id, decoded->id, entry.delivery_count));
    }
    deps_.loop->Post(Guard([this] { ProcessNext(); }));
    return;
  }
  auto message = std::make_shared<const Message>(std::move(*decoded));
  if (deps_.observer) {
    Report(deps_, Event(EngineEventKind::kAttemptStarted, entry.id, message->id, message->attempt));
  }
  inflight_id_ = entry.id;
  runner_.Run(message, [this, entry = std::move(entry), message](const AttemptResult& r) {
    OnAttempt(entry, message, r);
  });
}

void StreamSubscription::OnAttempt(const StreamEntry& entry, std::shared_ptr<const Message> message,
                                   const AttemptResult& r) {
  inflight_id_.clear();
  if (deps_.observer) {
    EngineEvent fin =
        Event(EngineEventKind::kAttemptFinished, entry.id, message->id, message->attempt);
    fin.outcome = std::string(AttemptOutcomeName(r.outcome));
    fin.detail = r.reason;
    Report(deps_, std::move(fin));
  }
  duration_->Observe(ToSecondsF(r.elapsed));
  const TimePoint now = deps_.loop->Now();
  if (r.outcome == AttemptOutcome::kOk) {
    processed_ok_->Inc();
    first_failure_.erase(entry.id);
    pending_acks_.push_back(entry.id);
    if (deps_.observer) pending_ack_info_.push_back(AckInfo{message->id, message->attempt});
    // Batched within a fetched batch; flushed as soon as the batch is done.
    if (batch_.empty() || pending_acks_.size() >= static_cast<size_t>(config_.messages_per_tick)) {
      FlushAcks();
    }
  } else {
    processed_failed_->Inc();
    auto [it, inserted] = first_failure_.emplace(entry.id, now);
    const TimePoint first = it->second;
    if (r.outcome == AttemptOutcome::kUndecodable) {
      MoveToDlq(entry.id, message->attempt, r.reason, message->id);
    } else if (message->attempt < config_.max_retries) {
      ScheduleRetry(entry.id, message->attempt, first);
    } else if (config_.enable_dlq) {
      MoveToDlq(entry.id, message->attempt, r.reason, message->id);
    } else {
      first_failure_.erase(entry.id);
      AckNow(entry.id, message->id, message->attempt);
      dropped_->Inc();
      Report(deps_, Event(EngineEventKind::kDropped, entry.id, message->id, message->attempt));
    }
  }
  ProcessNext();
  MaybeIdle();
}

void StreamSubscription::ScheduleRetry(const std::string& id, int64_t failed_attempt,
                                       TimePoint first_failure) {
  const Duration delay = RetryDelay(config_, failed_attempt, *deps_.prng);
  retries_counter_->Inc();
  const TimePoint now = deps_.loop->Now();  // one reading: due - at is exactly the delay
  EngineEvent e = Event(EngineEventKind::kRetryScheduled, id, "", failed_attempt);
  e.at = now;
  e.due = now + delay;
  e.value = delay.count();
  Report(deps_, std::move(e));
  RetryWait& wait = retries_[id];
  wait.first_failure = first_failure;
  wait.failed_attempt = failed_attempt;
  wait.timer = deps_.loop->PostAt(now + delay, Guard([this, id] { Redeliver(id); }));
}

void StreamSubscription::Redeliver(const std::string& id) {
  auto wait = retries_.find(id);
  const int64_t failed_attempt = wait != retries_.end() ? wait->second.failed_attempt : 1;
  if (wait != retries_.end()) retries_.erase(wait);
  if (!running()) {
    MaybeIdle();
    return;
  }
  Broker* broker = broker_;
  auto self = std::static_pointer_cast<StreamSubscription>(shared_from_this());
  ++redeliveries_in_flight_;
  OffloadCall<std::optional<StreamEntry>>(
      *deps_.loop,
      [broker, stream = handler_.stream, group = group_, consumer = consumer_, id] {
        return broker->Redeliver(stream, group, consumer, id);
      },
      [self, epoch = epoch_, id, failed_attempt](Result<std::optional<StreamEntry>> r) {
        if (self->epoch_ != epoch) return;
        --self->redeliveries_in_flight_;
        if (!r.ok()) {
          // Still pending with us (nothing changed): try again after the same delay.
          self->Error("redeliver " + id, r.status());
          if (self->running()) {
            self->ScheduleRetry(id, failed_attempt, self->first_failure_[id]);
          } else {
            self->MaybeIdle();
          }
          return;
        }
        if (!r->has_value()) {
          // Acked, moved or claimed elsewhere meanwhile: no longer ours.
          self->first_failure_.erase(id);
          self->MaybeIdle();
          return;
        }
        StreamEntry entry = std::move(**r);
        if (!self->running()) {
          // Re-read for a retry that will not run now: give it back.
          self->ready_.push_back(Delivery{std::move(entry), false});
          if (self->state_ == State::kStopping) self->ReleaseUnattempted();
          self->MaybeIdle();
          return;
        }
        if (self->deps_.observer) {
          const std::string* mid = FindField(entry.fields, "id");
          Report(self->deps_, self->Event(EngineEventKind::kDelivered, entry.id,
                                          mid != nullptr ? *mid : "", entry.delivery_count));
        }
        self->ready_.push_back(Delivery{std::move(entry), false});
        if (self->running()) {
          self->ProcessNext();
        } else {
          self->MaybeIdle();
        }
      });
}

void StreamSubscription::MoveToDlq(const std::string& id, int64_t attempts,
                                   const std::string& reason, const std::string& message_id) {
  DlqMetadata meta;
  meta.original_stream = handler_.stream;
  meta.original_id = id;
  meta.consumer_group = group_;
  meta.consumer = consumer_;
  meta.last_failure = deps_.loop->Now();
  auto ff = first_failure_.find(id);
  meta.first_failure = ff != first_failure_.end() ? ff->second : meta.last_failure;
  meta.attempts = attempts;
  meta.reason = reason;
  ++dlq_moves_in_flight_;
  Broker* broker = broker_;
  auto self = std::static_pointer_cast<StreamSubscription>(shared_from_this());
  OffloadCall<bool>(
      *deps_.loop,
      [broker, stream = handler_.stream, group = group_, id, meta] {
        return broker->MoveToDlq(stream, group, id, meta);
      },
      [self, epoch = epoch_, id, attempts, reason, message_id](Result<bool> r) {
        if (self->epoch_ != epoch) return;
        --self->dlq_moves_in_flight_;
        EngineEvent e = self->Event(EngineEventKind::kDlqMoved, id, message_id, attempts);
        e.detail = reason;
        if (r.ok() && *r) {
          self->first_failure_.erase(id);
          self->dlq_routed_->Inc();
          Report(self->deps_, std::move(e));
        } else if (r.ok()) {
          // No longer pending with the group: another consumer moved or acked it.
          self->first_failure_.erase(id);
          e.kind = EngineEventKind::kDlqMoveFailed;
          e.detail = "not pending any more";
          Report(self->deps_, std::move(e));
        } else {
          // The message stays pending; the next delivery tries the move again.
          e.kind = EngineEventKind::kDlqMoveFailed;
          e.detail = r.status().ToString();
          Report(self->deps_, std::move(e));
          if (self->running()) {
            self->ScheduleRetry(id, attempts, self->first_failure_[id]);
          }
        }
        self->MaybeIdle();
      });
}

void StreamSubscription::AckNow(const std::string& id, const std::string& message_id,
                                int64_t attempt) {
  pending_acks_.push_back(id);
  if (deps_.observer) pending_ack_info_.push_back(AckInfo{message_id, attempt});
  FlushAcks();
}

void StreamSubscription::FlushAcks() {
  if (pending_acks_.empty()) return;
  auto ids = std::make_shared<const std::vector<std::string>>(std::move(pending_acks_));
  std::vector<AckInfo> info = std::move(pending_ack_info_);
  pending_acks_.clear();
  pending_ack_info_.clear();
  ++acks_in_flight_;
  Broker* broker = broker_;
  auto self = std::static_pointer_cast<StreamSubscription>(shared_from_this());
  OffloadCall<int64_t>(
      *deps_.loop,
      [broker, stream = handler_.stream, group = group_, ids] {
        return broker->Ack(stream, group, *ids);
      },
      [self, ids, info = std::move(info)](Result<int64_t> r) {
        // Reported even after Abandon: the ack reached (or failed at) the broker.
        --self->acks_in_flight_;
        if (!r.ok()) {
          self->Error("ack", r.status());
          // Handled messages: ack them with the next flush while we run;
          // otherwise they stay pending and are claimed later (at-least-once).
          if (self->running()) {
            self->pending_acks_.insert(self->pending_acks_.end(), ids->begin(), ids->end());
            if (self->deps_.observer != nullptr) {
              self->pending_ack_info_.insert(self->pending_ack_info_.end(), info.begin(),
                                             info.end());
            }
          }
        } else if (self->deps_.observer != nullptr) {
          for (size_t i = 0; i < ids->size() && i < info.size(); ++i) {
            Report(self->deps_, self->Event(EngineEventKind::kAcked, (*ids)[i],
                                            info[i].message_id, info[i].attempt));
          }
        }
        if (self->acks_in_flight_ == 0) {
          auto waiters = std::move(self->ack_waiters_);
          self->ack_waiters_.clear();
          for (auto& w : waiters) w();
        }
        self->MaybeIdle();
      });
}

void StreamSubscription::ScheduleClaim() {
  if (!running()) return;
  // At least every 5 s: entries a stopping instance released are claimable
  // at once and should not wait for half a long claim bound.
  const Duration every = std::min(SecondsF(config_.claim_idle_seconds / 2), Seconds(5));
  claim_timer_ = deps_.loop->PostAfter(every, Guard([this] {
    claim_timer_ = 0;
    Claim("0-0", 10);
  }));
}

void StreamSubscription::Claim(std::string cursor, int pages_left) {
  if (!running()) return;
  Broker* broker = broker_;
  const Duration min_idle = SecondsF(config_.claim_idle_seconds);
  const int count = static_cast<int>(config_.messages_per_tick);
  auto self = std::static_pointer_cast<StreamSubscription>(shared_from_this());
  OffloadCall<ClaimResult>(
      *deps_.loop,
      [broker, stream = handler_.stream, group = group_, consumer = consumer_, min_idle, cursor,
       count] { return broker->AutoClaim(stream, group, consumer, min_idle, cursor, count); },
      [self, epoch = epoch_, pages_left](Result<ClaimResult> r) {
        if (self->epoch_ != epoch) return;
        if (!r.ok()) {
          self->Error("claim", r.status());
          self->ScheduleClaim();
          return;
        }
        for (auto& entry : r->claimed) {
          // Ours already (a heartbeat came too late): not a second delivery.
          if (self->Holds(entry.id)) continue;
          self->ready_.push_back(Delivery{std::move(entry), true});
        }
        if (!r->claimed.empty()) self->ProcessNext();
        if (r->next_cursor != "0-0" && pages_left > 1) {
          self->Claim(r->next_cursor, pages_left - 1);
        } else {
          self->ScheduleClaim();
        }
      });
}

std::vector<std::string> StreamSubscription::HeldIds() const {
  std::vector<std::string> ids;
  for (const auto& d : ready_) ids.push_back(d.entry.id);
  for (const auto& d : batch_) ids.push_back(d.entry.id);
  for (const auto& [id, wait] : retries_) ids.push_back(id);
  if (!inflight_id_.empty()) ids.push_back(inflight_id_);
  ids.insert(ids.end(), pending_acks_.begin(), pending_acks_.end());
  return ids;
}

bool StreamSubscription::Holds(const std::string& id) const {
  if (id == inflight_id_ || retries_.count(id)) return true;
  for (const auto& d : ready_) {
    if (d.entry.id == id) return true;
  }
  for (const auto& d : batch_) {
    if (d.entry.id == id) return true;
  }
  return false;
}

void StreamSubscription::ScheduleHeartbeat() {
  if (!running()) return;
  heartbeat_timer_ = deps_.loop->PostAfter(SecondsF(config_.claim_idle_seconds / 4), Guard([this] {
    heartbeat_timer_ = 0;
    std::vector<std::string> ids = HeldIds();
    if (!ids.empty()) {
      Broker* broker = broker_;
      auto self = std::static_pointer_cast<StreamSubscription>(shared_from_this());
      OffloadCall<int64_t>(
          *deps_.loop,
          [broker, stream = handler_.stream, group = group_, consumer = consumer_, ids] {
            return broker->Touch(stream, group, consumer, ids);
          },
          [self, epoch = epoch_](Result<int64_t> r) {
            if (self->epoch_ == epoch && !r.ok()) self->Error("touch", r.status());
          });
    }
    ScheduleHeartbeat();
  }));
}

void StreamSubscription::StopFetching(std::function<void()> on_idle) {
  if (state_ == State::kRunning) state_ = State::kStopping;
  if (tick_timer_ != 0) deps_.loop->Cancel(tick_timer_);
  if (claim_timer_ != 0) deps_.loop->Cancel(claim_timer_);
  if (heartbeat_timer_ != 0) deps_.loop->Cancel(heartbeat_timer_);
  tick_timer_ = claim_timer_ = heartbeat_timer_ = 0;
  for (auto& [id, wait] : retries_) deps_.loop->Cancel(wait.timer);
  retries_.clear();  // they stay pending in the broker for another consumer
  on_idle_ = std::move(on_idle);
  ReleaseUnattempted();
  MaybeIdle();
}

void StreamSubscription::ReleaseUnattempted() {
  // Fetched but never attempted: given back with the delivery count they had
  // before this fetch, claimable at once, so the fetch is not an attempt.
  std::vector<std::pair<std::string, int64_t>> unattempted;
  for (const auto* q : {&ready_, &batch_}) {
    for (const Delivery& d : *q) {
      if (!d.entry.deleted) unattempted.emplace_back(d.entry.id, d.entry.delivery_count - 1);
    }
  }
  batch_.clear();
  ready_.clear();
  if (unattempted.empty()) return;
  ++releases_in_flight_;
  Broker* broker = broker_;
  auto self = std::static_pointer_cast<StreamSubscription>(shared_from_this());
  OffloadCall<int64_t>(
      *deps_.loop,
      [broker, stream = handler_.stream, group = group_, consumer = consumer_, unattempted] {
        return broker->Release(stream, group, consumer, unattempted);
      },
      [self](Result<int64_t> r) {
        --self->releases_in_flight_;
        if (!r.ok()) self->Error("release", r.status());  // claimable after claim_idle instead
        self->MaybeIdle();
      });
}

void StreamSubscription::MaybeIdle() {
  if (state_ != State::kStopping || !on_idle_) return;
  if (runner_.busy() || dlq_moves_in_flight_ > 0 || fetch_in_flight_ ||
      redeliveries_in_flight_ > 0 || acks_in_flight_ > 0 || releases_in_flight_ > 0) {
    return;
  }
  auto cb = std::move(on_idle_);
  on_idle_ = nullptr;
  cb();
}

void StreamSubscription::Abandon() {
  state_ = State::kAbandoned;
  ++epoch_;
  runner_.Abandon();
  if (tick_timer_ != 0) deps_.loop->Cancel(tick_timer_);
  if (claim_timer_ != 0) deps_.loop->Cancel(claim_timer_);
  if (heartbeat_timer_ != 0) deps_.loop->Cancel(heartbeat_timer_);
  tick_timer_ = claim_timer_ = heartbeat_timer_ = 0;
  for (auto& [id, wait] : retries_) deps_.loop->Cancel(wait.timer);
  retries_.clear();
  batch_.clear();
  ready_.clear();
  on_idle_ = nullptr;
}

void StreamSubscription::Flush(std::function<void()> done) {
  // Done once every ack sent so far has its reply: the drain's "flushed"
  // step means the broker has them.
  FlushAcks();
  if (acks_in_flight_ == 0) {
    if (done) done();
  } else if (done) {
    ack_waiters_.push_back(std::move(done));
  }
}

}  // namespace protean
