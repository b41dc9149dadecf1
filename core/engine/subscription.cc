#include "core/engine/subscription.h"

#include <algorithm>
#include <cstdio>

namespace protean {
namespace {

std::optional<Duration> Budget(const SubscriptionConfig& c) {
  if (!c.handler_timeout_seconds) return std::nullopt;
  return SecondsF(*c.handler_timeout_seconds);
}

}  // namespace

Duration IdlePollDelay(const SubscriptionDeps& deps, int empty_reads) {
  Duration d = deps.idle_poll;
  for (int i = 1; i < empty_reads && d < deps.idle_poll_max; ++i) d *= 2;
  return std::min(d, std::max(deps.idle_poll, deps.idle_poll_max));
}

std::shared_ptr<void> SubscriptionDeps::TakeBlockingRead() const {
  if (!blocking_reads) return std::make_shared<int>(0);  // no count kept: no bound
  std::atomic<int64_t>& n = *blocking_reads;
  int64_t now = n.load();
  do {
    if (blocking_reads_max > 0 && now >= blocking_reads_max) return nullptr;
  } while (!n.compare_exchange_weak(now, now + 1));
  // Holds the count (shared) so that a slot outliving the engine stays valid.
  return std::shared_ptr<void>(new int(0), [count = blocking_reads](int* slot) {
    count->fetch_sub(1);
    delete slot;
  });
}

void InFlight::Done(Kind k) {
  --counts[k];
  PROTEAN_CHECK(counts[k] >= 0);
}

int InFlight::total() const {
  int n = 0;
  for (int c : counts) n += c;
  return n;
}

SubscriptionBase::SubscriptionBase(SubscriptionDeps deps, const HandlerRegistration& handler,
                                   SubscriptionConfig config)
    : deps_(std::move(deps)),
      handler_(handler),
      config_(std::move(config)),
      consumer_(handler.name + "-" + deps_.instance),
      runner_(*deps_.loop, handler, Budget(config_),
              AttemptRunner::Services{deps_.database, deps_.cache, deps_.publish_broker,
                                      deps_.event_store},
              consumer_),
      labels_({{"subscription", handler.name + "-" + handler.stream},
               {"handler", handler.name},
               {"stream", handler.stream}}) {
  PROTEAN_CHECK(deps_.loop != nullptr && deps_.metrics != nullptr && deps_.log);
  MetricLabels ok = labels_, err = labels_;
  ok.emplace_back("status", "ok");
  err.emplace_back("status", "error");
  MetricsRegistry& m = *deps_.metrics;
  processed_ok_ = m.GetCounter("protean_subscription_messages_processed", ok);
  processed_failed_ = m.GetCounter("protean_subscription_messages_processed", err);
  retries_counter_ = m.GetCounter("protean_subscription_retries", labels_);
  duration_ = m.GetHistogram("protean_subscription_processing_duration", labels_);
}

void SubscriptionBase::ScheduleTick(Duration delay) {
  if (!running() || tick_timer_ != 0) return;
  tick_due_ = deps_.loop->Now() + delay;
  tick_timer_ = deps_.loop->PostAfter(delay, Guard([this] {
                                        tick_timer_ = 0;
                                        Tick();
                                      }));
}

EngineEvent SubscriptionBase::Event(EngineEventKind kind, const std::string& entry_id,
                                    const std::string& message_id, int64_t attempt) const {
  EngineEvent e{kind};
  e.subscription = handler_.name;
  e.stream = handler_.stream;
  e.entry_id = entry_id;
  e.message_id = message_id;
  e.attempt = attempt;
  return e;
}

void SubscriptionBase::Report(EngineEvent event) const {
  if (deps_.observer == nullptr) return;
  if (event.at == TimePoint{}) event.at = deps_.loop->Now();  // unless stamped already
  event.instance = deps_.instance;
  deps_.observer->OnEngineEvent(event);
}

LogRecord SubscriptionBase::Record(LogLevel level, std::string event) const {
  LogRecord log;
  log.level = level;
  log.at = deps_.loop->Now();
  log.instance = deps_.instance;
  log.event = std::move(event);
  log.With("handler", handler_.name).With("stream", handler_.stream).With("consumer", consumer_);
  return log;
}

void SubscriptionBase::Error(const std::string& op, const Status& status, const std::string& what) {
  const std::string detail = (what.empty() ? op : what) + ": " + status.ToString();
  MetricLabels labels = labels_;
  labels.emplace_back("op", op);
  deps_.metrics->GetCounter("protean_subscription_errors", labels)->Inc();
  const TimePoint now = deps_.loop->Now();
  auto [it, first] = outages_.try_emplace(op, Outage{now, now, 0});
  ++it->second.failures;
  if (first || now - it->second.logged >= kOutageLogEvery) {
    LogRecord log = Record(LogLevel::kWarning, "subscription." + op + "_failed");
    if (!first) {
      log.With("failures", std::to_string(it->second.failures))
          .With("outage_seconds",
                std::to_string(static_cast<int64_t>(ToSecondsF(now - it->second.since))));
    }
    log.message = first ? detail : "still failing: " + detail;
    it->second.logged = now;
    deps_.log(log);
  }
  EngineEvent e = Event(EngineEventKind::kError, "", "", 0);
  e.outcome = op;
  e.detail = detail;
  Report(std::move(e));
}

void SubscriptionBase::Recovered(const std::string& op) {
  auto it = outages_.find(op);
  if (it == outages_.end()) return;
  const double seconds = ToSecondsF(deps_.loop->Now() - it->second.since);
  LogRecord log = Record(LogLevel::kInfo, "subscription." + op + "_recovered");
  log.With("failures", std::to_string(it->second.failures));
  char text[96];
  std::snprintf(text, sizeof text, "%s recovered after %.1f s", op.c_str(), seconds);
  log.message = text;
  outages_.erase(it);
  deps_.log(log);
}

void SubscriptionBase::LogMessage(LogLevel level, std::string event, const std::string& entry_id,
                                  const Message* m, const std::string& message_id, int64_t attempt,
                                  std::string text, const std::string& stream) const {
  LogRecord log = Record(level, std::move(event));
  if (!stream.empty()) {
    for (auto& [key, value] : log.fields) {
      if (key == "stream") value = stream;
    }
  }
  if (!entry_id.empty()) log.With("entry_id", entry_id);
  if (!message_id.empty()) log.With("message_id", message_id);
  if (attempt > 0) log.With("attempt", std::to_string(attempt));
  if (m != nullptr && !m->metadata.correlation_id.empty()) {
    log.With("correlation_id", m->metadata.correlation_id);
  }
  if (m != nullptr && !m->metadata.causation_id.empty()) {
    log.With("causation_id", m->metadata.causation_id);
  }
  log.message = std::move(text);
  deps_.log(log);
}

void SubscriptionBase::CancelTimer(TimerId* timer) {
  if (*timer != 0) deps_.loop->Cancel(*timer);
  *timer = 0;
}

void SubscriptionBase::BeginStop(std::function<void()> on_idle) {
  if (state_ == State::kRunning) state_ = State::kStopping;
  CancelTimer(&tick_timer_);
  on_idle_ = std::move(on_idle);
}

void SubscriptionBase::BeginAbandon() {
  state_ = State::kAbandoned;
  scope_.Invalidate();
  runner_.Abandon();
  CancelTimer(&tick_timer_);
  on_idle_ = nullptr;
}

void SubscriptionBase::MaybeIdle() {
  if (state_ != State::kStopping || !on_idle_ || in_flight()) return;
  auto cb = std::move(on_idle_);
  on_idle_ = nullptr;
  cb();
}

}  // namespace protean
