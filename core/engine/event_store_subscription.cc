#include "core/engine/event_store_subscription.h"

#include <nlohmann/json.hpp>

#include "core/engine/backoff.h"
#include "core/engine/offload.h"

namespace protean {
namespace {

std::string PositionStream(const std::string& category, const std::string& id) {
  const bool typed = category.find(':') != std::string::npos;
  return category + (typed ? "+position-" : ":position-") + id;
}

std::string FailedStream(const std::string& category, const std::string& id) {
  const bool typed = category.find(':') != std::string::npos;
  return category + (typed ? "+failed-" : ":failed-") + id;
}

std::optional<Duration> Budget(const SubscriptionConfig& c) {
  if (!c.handler_timeout_seconds) return std::nullopt;
  return SecondsF(*c.handler_timeout_seconds);
}

// Whose position a stream holds: a partition member's (shared by whoever
// runs that member), else this instance's own, since every instance of an
// unpartitioned subscription reads the whole category.
std::string Identity(const HandlerRegistration& h, const SubscriptionConfig& c,
                     const std::string& instance) {
  if (!c.consumer_group_size) return h.name + "+" + instance;
  return h.name + "+" + std::to_string(*c.consumer_group_member) + "of" +
         std::to_string(*c.consumer_group_size);
}

}  // namespace

EventStoreSubscription::EventStoreSubscription(SubscriptionDeps deps, EventStore* store,
                                               const HandlerRegistration& handler,
                                               SubscriptionConfig config)
    : deps_(std::move(deps)),
      store_(store),
      handler_(handler),
      config_(std::move(config)),
      consumer_(handler.name + "-" + deps_.instance),
      position_stream_(PositionStream(handler.stream, Identity(handler, config_, deps_.instance))),
      failed_stream_(FailedStream(handler.stream, Identity(handler, config_, deps_.instance))),
      runner_(*deps_.loop, handler, Budget(config_), deps_.database, consumer_) {
  const MetricLabels base = {{"subscription", handler.name + "-" + handler.stream},
                             {"handler", handler.name},
                             {"stream", handler.stream}};
  MetricLabels ok = base, err = base;
  ok.emplace_back("status", "ok");
  err.emplace_back("status", "error");
  MetricsRegistry& m = *deps_.metrics;
  processed_ok_ = m.GetCounter("protean_subscription_messages_processed", ok);
  processed_failed_ = m.GetCounter("protean_subscription_messages_processed", err);
  retries_counter_ = m.GetCounter("protean_subscription_retries", base);
  exhausted_ = m.GetCounter("protean_subscription_exhausted", base);
  duration_ = m.GetHistogram("protean_subscription_processing_duration", base);
}

std::function<void()> EventStoreSubscription::Guard(std::function<void()> fn) {
  auto self = std::static_pointer_cast<EventStoreSubscription>(shared_from_this());
  const uint64_t epoch = epoch_;
  return [self, epoch, fn = std::move(fn)] {
    if (self->epoch_ == epoch) fn();
  };
}

EngineEvent EventStoreSubscription::Event(EngineEventKind kind, const EventMessage& m) const {
  EngineEvent e{kind};
  e.subscription = handler_.name;
  e.stream = m.stream_name.empty() ? handler_.stream : m.stream_name;
  e.message_id = m.id;
  e.entry_id = m.global_position > 0 ? std::to_string(m.global_position) : "";
  e.attempt = attempt_;
  return e;
}

void EventStoreSubscription::Start() {
  PROTEAN_CHECK(state_ == State::kIdle);
  state_ = State::kRunning;
  EventMessage none;
  Report(deps_, Event(EngineEventKind::kSubscriptionStarted, none));
  EventStore* store = store_;
  auto self = std::static_pointer_cast<EventStoreSubscription>(shared_from_this());
  OffloadCall<std::optional<EventMessage>>(
      *deps_.loop, [store, s = position_stream_] { return store->LastMessage(s, std::nullopt); },
      [self, epoch = epoch_](Result<std::optional<EventMessage>> r) {
        if (self->epoch_ != epoch) return;
        if (r.ok() && r->has_value()) {
          auto j = nlohmann::json::parse((*r)->data, nullptr, false);
          if (j.is_object() && j.contains("position") && j["position"].is_number_integer()) {
            self->position_ = self->written_position_ = j["position"].get<int64_t>();
          }
        } else if (!r.ok()) {
          EngineEvent e = self->Event(EngineEventKind::kError, EventMessage{});
          e.detail = "read position: " + r.status().ToString();
          Report(self->deps_, std::move(e));
        }
        self->ScheduleTick(Duration{0});
      });
}

void EventStoreSubscription::ScheduleTick(Duration delay) {
  if (!running() || tick_timer_ != 0) return;
  tick_timer_ = deps_.loop->PostAfter(delay, Guard([this] {
    tick_timer_ = 0;
    Tick();
  }));
}

void EventStoreSubscription::Tick() {
  if (!running() || fetch_in_flight_ || runner_.busy() || retry_timer_ != 0) return;
  if (!batch_.empty()) {
    ProcessNext();
    return;
  }
  fetch_in_flight_ = true;
  CategoryRead read;
  read.position = position_ + 1;
  read.batch_size = config_.messages_per_tick;
  if (config_.origin_stream) read.correlation = *config_.origin_stream;
  if (config_.consumer_group_size) {
    read.consumer_group = ConsumerGroup{*config_.consumer_group_member, *config_.consumer_group_size};
  }
  EventStore* store = store_;
  auto self = std::static_pointer_cast<EventStoreSubscription>(shared_from_this());
  OffloadCall<std::vector<EventMessage>>(
      *deps_.loop, [store, cat = handler_.stream, read] { return store->ReadCategory(cat, read); },
      [self, epoch = epoch_](Result<std::vector<EventMessage>> r) {
        if (self->epoch_ != epoch) return;
        self->fetch_in_flight_ = false;
        if (!r.ok()) {
          EngineEvent e = self->Event(EngineEventKind::kError, EventMessage{});
          e.detail = "read category: " + r.status().ToString();
          Report(self->deps_, std::move(e));
          self->ScheduleTick(std::max(self->deps_.idle_poll, Millis(100)));
          self->MaybeIdle();
          return;
        }
        for (auto& m : *r) self->batch_.push_back(std::move(m));
        if (!self->running()) {
          self->MaybeIdle();
          return;
        }
        if (self->batch_.empty()) {
          self->ScheduleTick(std::max(IdlePollDelay(self->deps_, ++self->empty_reads_),
                                      SecondsF(self->config_.tick_interval_seconds)));
          return;
        }
        self->empty_reads_ = 0;
        self->ProcessNext();
      });
}

void EventStoreSubscription::ProcessNext() {
  if (!running()) {
    MaybeIdle();
    return;
  }
  if (runner_.busy() || retry_timer_ != 0) return;
  if (batch_.empty()) {
    ScheduleTick(SecondsF(config_.tick_interval_seconds));
    return;
  }
  attempt_ = 0;
  Attempt();
}

void EventStoreSubscription::Attempt() {
  const EventMessage& m = batch_.front();
  ++attempt_;
  if (attempt_ == 1) Report(deps_, Event(EngineEventKind::kDelivered, m));
  auto message = std::make_shared<Message>();
  message->id = m.id;
  message->type = m.type;
  message->data = m.data;
  message->stream = m.stream_name;
  message->source_id = std::to_string(m.global_position);
  message->attempt = attempt_;
  Report(deps_, Event(EngineEventKind::kAttemptStarted, m));
  runner_.Run(message, [this](const AttemptResult& r) { OnAttempt(r); });
}

void EventStoreSubscription::OnAttempt(const AttemptResult& r) {
  const EventMessage& m = batch_.front();
  EngineEvent fin = Event(EngineEventKind::kAttemptFinished, m);
  fin.outcome = std::string(AttemptOutcomeName(r.outcome));
  fin.detail = r.reason;
  Report(deps_, std::move(fin));
  duration_->Observe(ToSecondsF(r.elapsed));
  if (r.outcome == AttemptOutcome::kOk) {
    processed_ok_->Inc();
    Advance(m.global_position);
  } else {
    processed_failed_->Inc();
    if (attempt_ == 1) first_failure_ = deps_.loop->Now();
    const bool retry = r.outcome != AttemptOutcome::kUndecodable && attempt_ < config_.max_retries;
    if (retry && running()) {
      const Duration delay = RetryDelay(config_, attempt_, *deps_.prng);
      retries_counter_->Inc();
      const TimePoint now = deps_.loop->Now();
      EngineEvent e = Event(EngineEventKind::kRetryScheduled, m);
      e.at = now;
      e.due = now + delay;
      e.value = delay.count();
      Report(deps_, std::move(e));
      retry_timer_ = deps_.loop->PostAt(now + delay, Guard([this] {
        retry_timer_ = 0;
        if (running()) {
          Attempt();
        } else {
          MaybeIdle();
        }
      }));
      MaybeIdle();
      return;
    }
    if (!retry) {
      exhausted_->Inc();
      RecordFailure(m, r);
      Advance(m.global_position);
    }
    // else: stopping; the message runs again after a restart (position not advanced).
  }
  ProcessNext();
  MaybeIdle();
}

void EventStoreSubscription::Advance(int64_t global_position) {
  batch_.pop_front();
  position_ = global_position;
  if (++since_write_ >= config_.position_update_interval) WritePosition(nullptr);
}

void EventStoreSubscription::WritePosition(std::function<void()> done) {
  since_write_ = 0;
  if (position_ == written_position_) {
    if (done) done();
    return;
  }
  const int64_t pos = position_;
  NewEventMessage w;
  w.id = deps_.prng->Uuid();
  w.stream_name = position_stream_;
  w.type = "Recorded";
  w.data = "{\"position\":" + std::to_string(pos) + "}";
  ++writes_in_flight_;
  EventStore* store = store_;
  auto self = std::static_pointer_cast<EventStoreSubscription>(shared_from_this());
  OffloadCall<int64_t>(
      *deps_.loop, [store, w] { return store->Write(w, std::nullopt); },
      [self, pos, done = std::move(done)](Result<int64_t> r) {
        --self->writes_in_flight_;
        EngineEvent e = self->Event(EngineEventKind::kPositionWritten, EventMessage{});
        e.value = pos;
        if (r.ok()) {
          self->written_position_ = std::max(self->written_position_, pos);
        } else {
          e.kind = EngineEventKind::kError;
          e.detail = "write position: " + r.status().ToString();
        }
        Report(self->deps_, std::move(e));
        if (done) done();
        self->MaybeIdle();
      });
}

void EventStoreSubscription::RecordFailure(const EventMessage& m, const AttemptResult& r) {
  nlohmann::json data = {{"global_position", m.global_position},
                         {"stream_name", m.stream_name},
                         {"position", m.position},
                         {"message_id", m.id},
                         {"type", m.type},
                         {"attempts", attempt_},
                         {"first_failure", FormatTime(first_failure_)},
                         {"last_failure", FormatTime(deps_.loop->Now())},
                         {"reason", r.reason}};
  NewEventMessage w;
  w.id = deps_.prng->Uuid();
  w.stream_name = failed_stream_;
  w.type = "HandlerFailed";
  w.data = data.dump();
  EngineEvent e = Event(EngineEventKind::kDropped, m);
  e.detail = "recorded in " + failed_stream_ + ": " + r.reason;
  Report(deps_, std::move(e));
  ++writes_in_flight_;
  EventStore* store = store_;
  auto self = std::static_pointer_cast<EventStoreSubscription>(shared_from_this());
  OffloadCall<int64_t>(
      *deps_.loop, [store, w] { return store->Write(w, std::nullopt); },
      [self](Result<int64_t> res) {
        --self->writes_in_flight_;
        if (!res.ok()) {
          EngineEvent err = self->Event(EngineEventKind::kError, EventMessage{});
          err.detail = "record failure: " + res.status().ToString();
          Report(self->deps_, std::move(err));
        }
        self->MaybeIdle();
      });
}

void EventStoreSubscription::StopFetching(std::function<void()> on_idle) {
  if (state_ == State::kRunning) state_ = State::kStopping;
  if (tick_timer_ != 0) deps_.loop->Cancel(tick_timer_);
  if (retry_timer_ != 0) deps_.loop->Cancel(retry_timer_);
  tick_timer_ = retry_timer_ = 0;
  on_idle_ = std::move(on_idle);
  MaybeIdle();
}

void EventStoreSubscription::MaybeIdle() {
  if (state_ != State::kStopping || !on_idle_) return;
  if (runner_.busy() || fetch_in_flight_ || writes_in_flight_ > 0) return;
  auto cb = std::move(on_idle_);
  on_idle_ = nullptr;
  cb();
}

void EventStoreSubscription::Abandon() {
  state_ = State::kAbandoned;
  ++epoch_;
  runner_.Abandon();
  if (tick_timer_ != 0) deps_.loop->Cancel(tick_timer_);
  if (retry_timer_ != 0) deps_.loop->Cancel(retry_timer_);
  tick_timer_ = retry_timer_ = 0;
  on_idle_ = nullptr;
}

void EventStoreSubscription::Flush(std::function<void()> done) {
  // Also after a drain cut-off: everything up to position_ was handled.
  WritePosition(std::move(done));
}

}  // namespace protean
