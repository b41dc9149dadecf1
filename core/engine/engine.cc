#include "core/engine/engine.h"

#include <algorithm>

#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "core/config/priority_lanes.h"
#include "core/config/redaction.h"
#include "core/engine/event_store_subscription.h"
#include "core/engine/internal/call_isolated.h"
#include "core/engine/internal/offload.h"
#include "core/engine/stream_subscription.h"

namespace protean {

Broker* EngineAdapters::broker(const std::string& name) const {
  for (const auto& [n, b] : brokers) {
    if (n == name) return b;
  }
  return nullptr;
}

Cache* EngineAdapters::cache(const std::string& name) const {
  for (const auto& [n, c] : caches) {
    if (n == name) return c;
  }
  return nullptr;
}

Database* EngineAdapters::database(const std::string& name) const {
  for (const auto& [n, d] : databases) {
    if (n == name) return d;
  }
  return nullptr;
}

std::vector<AdapterStep> EngineAdapters::CloseOrder() const {
  // Reverse init order: event store -> brokers -> caches -> databases.
  std::vector<AdapterStep> order;
  if (event_store) {
    EventStore* es = event_store;
    order.push_back(
        {"event_store", "event_store", [es] { return es->Ping(); }, [es] { es->Close(); }});
  }
  for (auto it = brokers.rbegin(); it != brokers.rend(); ++it) {
    Broker* b = it->second;
    order.push_back({"broker:" + it->first, "brokers." + it->first, [b] { return b->Ping(); },
                     [b] { b->Close(); }});
  }
  for (auto it = caches.rbegin(); it != caches.rend(); ++it) {
    Cache* c = it->second;
    order.push_back({"cache:" + it->first, "caches." + it->first, [c] { return c->Ping(); },
                     [c] { c->Close(); }});
  }
  for (auto it = databases.rbegin(); it != databases.rend(); ++it) {
    Database* d = it->second;
    order.push_back({"database:" + it->first, "providers." + it->first, [d] { return d->Ping(); },
                     [d] { d->Close(); }});
  }
  return order;
}

Engine::Engine(Executor& loop, Prng& prng, MetricsRegistry& metrics, EngineAdapters adapters,
               EngineOptions options, EngineObserver* observer)
    : loop_(loop),
      prng_(prng),
      metrics_(metrics),
      adapters_(std::move(adapters)),
      options_(std::move(options)),
      observer_(observer) {
  if (!options_.log) {
    options_.log = [](const LogRecord& r) {
      std::fprintf(stderr, "%s\n", FormatLogText(r).c_str());
    };
  }
}

Engine::~Engine() {
  for (auto& s : subs_) s->Abandon();
  if (dlq_timer_ != 0) loop_.Cancel(dlq_timer_);
  if (drain_timer_ != 0) loop_.Cancel(drain_timer_);
  if (readiness_timer_ != 0) loop_.Cancel(readiness_timer_);
}

void Engine::Emit(EngineEvent event) {
  if (observer_ == nullptr) return;
  event.at = loop_.Now();
  event.instance = options_.instance;
  observer_->OnEngineEvent(event);
}

void Engine::Step(const std::string& detail) {
  LogRecord record;
  record.message = detail;
  Log(LogLevel::kInfo, "shutdown.step", std::move(record));
  EngineEvent e{EngineEventKind::kShutdownStep};
  e.detail = detail;
  Emit(std::move(e));
}

void Engine::Log(LogLevel level, std::string event, LogRecord r) {
  r.level = level;
  r.at = loop_.Now();
  r.instance = options_.instance;
  r.event = std::move(event);
  options_.log(r);
}

void Engine::Error(const std::string& op, const std::string& stream, const Status& status) {
  metrics_.GetCounter("protean_engine_errors", {{"op", op}})->Inc();
  LogRecord fields;
  fields.With("stream", stream);
  fields.message = status.ToString();
  Log(LogLevel::kError, op + ".failed", std::move(fields));
  EngineEvent e{EngineEventKind::kError};
  e.stream = stream;
  e.outcome = op;
  e.detail = op + ": " + status.ToString();
  Emit(std::move(e));
}

void Engine::SetReadiness(const std::string& state) {
  EngineEvent e{EngineEventKind::kReadiness};
  e.outcome = state;
  Emit(std::move(e));
}

// Calls other than blocked reads keep this many threads and connections.
constexpr int64_t kBlockingReadsSpare = 2;

int64_t Engine::BlockingReadsMax() const {
  int64_t bound = 0;
  auto within = [&bound](int64_t shared) {
    if (shared <= 0) return;
    const int64_t left = std::max<int64_t>(1, shared - kBlockingReadsSpare);
    bound = bound > 0 ? std::min(bound, left) : left;
  };
  within(options_.worker_threads);
  if (const Broker* broker = adapters_.broker("default"))
    within(broker->capabilities().connections);
  return bound;
}

Status Engine::AddSubscription(const HandlerRegistration& handler,
                               const SubscriptionConfig& config) {
  PROTEAN_CHECK(state() == State::kCreated);
  SubscriptionDeps deps;
  deps.loop = &loop_;
  deps.metrics = &metrics_;
  deps.observer = observer_;
  deps.prng = &prng_;
  deps.database = adapters_.database("default");
  deps.cache = adapters_.cache("default");
  deps.publish_broker = adapters_.broker("default");
  deps.event_store = adapters_.event_store;
  deps.instance = options_.instance;
  deps.named_instance = options_.named_instance;
  deps.log = options_.log;
  deps.idle_poll = options_.idle_poll;
  deps.idle_poll_max = options_.idle_poll_max;
  deps.blocking_read_max = options_.blocking_read_max;
  deps.blocking_reads = blocking_reads_;
  deps.blocking_reads_max = BlockingReadsMax();
  deps.priority_lanes = options_.priority_lanes;
  if (config.type == SubscriptionType::kStream) {
    Broker* broker = adapters_.broker("default");
    if (broker == nullptr) {
      return Status::InvalidArgument("handler " + handler.name +
                                     ": a stream subscription needs brokers.default");
    }
    const BrokerCapabilities caps = broker->capabilities();
    if (!caps.consumer_groups) {
      return Status::InvalidArgument("handler " + handler.name + ": broker provider '" +
                                     std::string(broker->provider()) +
                                     "' has no consumer groups; use provider 'redis' or "
                                     "'inline' for stream subscriptions");
    }
    if (config.enable_dlq && !caps.dlq) {
      return Status::InvalidArgument(
          "handler " + handler.name + " has enable_dlq = true, but broker provider '" +
          std::string(broker->provider()) +
          "' has no DLQ; set enable_dlq = false (a message whose attempts run out is then "
          "dropped and counted) or use provider 'redis'");
    }
    subs_.push_back(std::make_shared<StreamSubscription>(deps, broker, handler, config));
  } else {
    if (adapters_.event_store == nullptr) {
      return Status::InvalidArgument("handler " + handler.name +
                                     ": an event_store subscription needs an event store");
    }
    subs_.push_back(
        std::make_shared<EventStoreSubscription>(deps, adapters_.event_store, handler, config));
  }
  return Status::Ok();
}

void Engine::AddDlqAlertCallback(DlqAlertCallback callback) {
  alert_callbacks_.push_back(std::move(callback));
}

void Engine::Start() {
  PROTEAN_CHECK(state() == State::kCreated);
  state_ = State::kRunning;
  metrics_.GetGauge("protean_engine_up")->Set(1);
  metrics_.GetGauge("protean_engine_active_subscriptions")->Set(static_cast<double>(subs_.size()));
  Emit(EngineEvent{EngineEventKind::kEngineStarted});
  SetReadiness("ok");
  for (auto& s : subs_) s->Start();
  if (options_.dlq.enabled) ScheduleDlqMaintenance();
  RefreshReadiness();
}

// --- DLQ maintenance --------------------------------------------------------

std::vector<Engine::DlqTarget> Engine::DlqTargets() const {
  // One target per DLQ stream. Handlers sharing a stream: the longest
  // retention (keep more) and the lowest threshold (alert sooner) win. With
  // priority lanes, the backfill lane's DLQ too (Protean's
  // server/dlq_maintenance.py:220-226).
  std::map<std::string, DlqTarget> by_stream;
  for (const auto& s : subs_) {
    if (s->type() != SubscriptionType::kStream) continue;
    const SubscriptionConfig& c = s->config();
    std::vector<std::string> dlqs = {DlqStreamName(s->stream())};
    if (auto lane = config::BackfillLane(options_.priority_lanes, s->stream())) {
      dlqs.push_back(DlqStreamName(*lane));
    }
    for (const std::string& dlq : dlqs) {
      DlqTarget t{dlq, c.dlq_retention_hours.value_or(options_.dlq.retention_hours),
                  c.dlq_alert_threshold.value_or(options_.dlq.alert_threshold)};
      auto [it, inserted] = by_stream.emplace(t.stream, t);
      if (!inserted) {
        it->second.retention_hours = std::max(it->second.retention_hours, t.retention_hours);
        it->second.threshold = std::min(it->second.threshold, t.threshold);
      }
    }
  }
  std::vector<DlqTarget> out;
  for (auto& [_, t] : by_stream) out.push_back(t);
  return out;
}

void Engine::ScheduleDlqMaintenance() {
  dlq_timer_ = loop_.PostAfter(SecondsF(options_.dlq.check_interval_seconds), scope_.Guard([this] {
    dlq_timer_ = 0;
    if (state() != State::kRunning) return;
    RunDlqMaintenance(scope_.Guard([this] {
      if (state() == State::kRunning) ScheduleDlqMaintenance();
    }));
  }));
}

void Engine::RunDlqMaintenance(std::function<void()> done) {
  Broker* broker = adapters_.broker("default");
  if (broker == nullptr || !broker->capabilities().dlq) {
    if (done) done();
    return;
  }
  struct Cycle {
    std::vector<DlqTarget> targets;
    size_t left;
    std::function<void()> done;
  };
  auto cycle = std::make_shared<Cycle>(Cycle{DlqTargets(), 0, std::move(done)});
  cycle->left = cycle->targets.size();
  if (cycle->left == 0) {
    if (cycle->done) cycle->done();
    return;
  }
  const TimePoint now = loop_.Now();
  for (const DlqTarget& t : cycle->targets) {
    const TimePoint cutoff = now - SecondsF(t.retention_hours * 3600.0);
    struct Outcome {
      Result<int64_t> trimmed = Status::Internal("not run");
      Result<int64_t> depth = Status::Internal("not run");
    };
    auto out = std::make_shared<Outcome>();
    loop_.Offload(
        [broker, t, cutoff, out]() -> Duration {
          out->trimmed = broker->DlqTrimOlderThan(t.stream, cutoff);
          out->depth = broker->DlqDepth(t.stream);
          return Duration{0};
        },
        scope_.Guard([this, t, out, cycle] {
          if (!out->trimmed.ok() || !out->depth.ok()) {
            Error("dlq_maintenance", t.stream,
                  !out->trimmed.ok() ? out->trimmed.status() : out->depth.status());
          } else {
            if (*out->trimmed > 0) {
              metrics_.GetCounter("protean_dlq_trimmed", {{"dlq_stream", t.stream}})
                  ->Inc(*out->trimmed);
              EngineEvent e{EngineEventKind::kDlqTrimmed};
              e.stream = t.stream;
              e.value = *out->trimmed;
              Emit(std::move(e));
            }
            EngineEvent checked{EngineEventKind::kDlqChecked};
            checked.stream = t.stream;
            checked.value = *out->depth;
            checked.detail = std::to_string(t.threshold);
            Emit(std::move(checked));
            if (*out->depth >= t.threshold) AlertDlq(t, *out->depth);
          }
          if (--cycle->left == 0 && cycle->done) cycle->done();
        }));
  }
}

void Engine::AlertDlq(const DlqTarget& t, int64_t depth) {
  LogRecord fields;
  fields.With("dlq_stream", t.stream)
      .With("depth", std::to_string(depth))
      .With("threshold", std::to_string(t.threshold));
  Log(LogLevel::kWarning, "dlq_maintenance.threshold_exceeded", std::move(fields));
  metrics_.GetCounter("protean_dlq_alerts", {{"dlq_stream", t.stream}})->Inc();
  EngineEvent e{EngineEventKind::kDlqAlert};
  e.stream = t.stream;
  e.value = depth;
  e.detail = std::to_string(t.threshold);
  Emit(std::move(e));
  for (const auto& cb : alert_callbacks_) {
    // Callbacks run off the loop: a slow or failing one never stalls the engine.
    auto result = std::make_shared<Status>();
    loop_.Offload(
        [cb, t, depth, result]() -> Duration {
          *result = internal::CallIsolated<Status>(
              "callback", [&] { return cb(t.stream, depth, t.threshold); });
          return Duration{0};
        },
        scope_.Guard([this, t, result] {
          if (result->ok()) return;
          LogRecord f;
          f.With("dlq_stream", t.stream);
          f.message = result->ToString();
          Log(LogLevel::kError, "dlq_maintenance.callback_failed", std::move(f));
          metrics_.GetCounter("protean_dlq_alert_callback_failures", {{"dlq_stream", t.stream}})
              ->Inc();
          EngineEvent failed{EngineEventKind::kDlqCallbackFailed};
          failed.stream = t.stream;
          failed.detail = result->ToString();
          Emit(std::move(failed));
        }));
  }
}

// --- shutdown -----------------------------------------------------------------

void Engine::Shutdown(const std::string& reason, std::function<void(int)> done) {
  if (done) shutdown_done_.push_back(std::move(done));
  const State s = state();
  if (s == State::kDraining) return;
  if (s == State::kStopped || s == State::kCrashed) {
    auto callbacks = std::move(shutdown_done_);
    shutdown_done_.clear();
    for (auto& cb : callbacks) cb(exit_code_);
    return;
  }
  state_ = State::kDraining;
  metrics_.GetGauge("protean_engine_up")->Set(0);
  Step("signal:" + reason);
  SetReadiness("draining");
  if (dlq_timer_ != 0) loop_.Cancel(dlq_timer_);
  dlq_timer_ = 0;
  draining_left_ = subs_.size();
  drain_finished_ = false;
  Step("stop_fetching");
  drain_timer_ = loop_.PostAfter(options_.drain_timeout, scope_.Guard([this] {
    drain_timer_ = 0;
    OnDrained(true);
  }));
  if (subs_.empty()) {
    OnDrained(false);
    return;
  }
  for (auto& sub : subs_) {
    sub->StopFetching(scope_.Guard([this] {
      if (draining_left_ > 0 && --draining_left_ == 0) OnDrained(false);
    }));
  }
}

void Engine::RequestDrain() {
  if (state() != State::kRunning || drain_requested_.exchange(true)) return;
  metrics_.GetGauge("protean_engine_draining")->Set(1);
  Step("drain_requested");
  SetReadiness("draining");
  for (auto& sub : subs_) {
    sub->StopFetching(scope_.Guard([this] {
      if (drain_idle_.fetch_add(1) + 1 == subs_.size()) Step("drain_requested_done");
    }));
  }
}

Engine::DrainProgress Engine::drain_progress() const {
  DrainProgress p;
  p.requested = drain_requested_.load();
  p.subscriptions = subs_.size();  // fixed once started
  p.idle = std::min(drain_idle_.load(), p.subscriptions);
  return p;
}

void Engine::CutDrain() {
  if (state() != State::kDraining || drain_finished_) return;
  OnDrained(true, /*cut=*/true);
}

void Engine::OnDrained(bool timed_out, bool cut) {
  if (drain_finished_ || state() != State::kDraining) return;
  drain_finished_ = true;
  if (drain_timer_ != 0) loop_.Cancel(drain_timer_);
  drain_timer_ = 0;
  if (timed_out) {
    exit_code_ = 1;  // a forced stop
    int unfinished = 0;
    for (auto& s : subs_) {
      if (s->in_flight()) {
        ++unfinished;
        s->Abandon();  // its message stays pending; a late completion acks nothing
      }
    }
    Step((cut ? "drain_cut:" : "drain_timeout:") + std::to_string(unfinished));
    LogRecord fields;
    fields.With("unfinished", std::to_string(unfinished));
    Log(LogLevel::kWarning, cut ? "shutdown.drain_cut" : "shutdown.drain_timeout",
        std::move(fields));
  } else {
    Step("drain_done");
  }
  // Write buffered acks and positions, then close adapters in reverse order.
  auto left = std::make_shared<size_t>(subs_.size());
  auto then_close = scope_.Guard([this] {
    Step("flushed");
    CloseAdapters([this] {
      state_ = State::kStopped;
      Step("stopped");
      auto callbacks = std::move(shutdown_done_);
      shutdown_done_.clear();
      for (auto& cb : callbacks) cb(exit_code_);
    });
  });
  if (subs_.empty()) {
    then_close();
    return;
  }
  for (auto& s : subs_) {
    s->Flush([left, then_close]() mutable {
      if (--*left == 0) then_close();
    });
  }
}

void Engine::CloseAdapters(std::function<void()> done) {
  CloseNext(std::make_shared<const std::vector<AdapterStep>>(adapters_.CloseOrder()), 0,
            std::move(done));
}

void Engine::CloseNext(std::shared_ptr<const std::vector<AdapterStep>> order, size_t index,
                       std::function<void()> done) {
  if (index >= order->size()) {
    done();
    return;
  }
  auto error = std::make_shared<Status>();
  const AdapterStep& step = (*order)[index];
  // Whichever comes first, the close's completion or its budget, moves on;
  // the other finds `settled` and does nothing.
  auto settled = std::make_shared<bool>(false);
  auto next = std::make_shared<std::function<void()>>(std::move(done));
  auto finish = [this, order, index, next, settled](const Status& st, bool timed_out) {
    if (*settled) return;
    *settled = true;
    const AdapterStep& s = (*order)[index];
    if (!st.ok() || timed_out) {
      // Isolated: a failing or hanging close is reported and the next one still runs.
      exit_code_ = 1;
      LogRecord fields;
      fields.With("adapter", s.name);
      fields.message = timed_out ? "did not close within the close budget" : st.message();
      Log(LogLevel::kError, timed_out ? "shutdown.close_timeout" : "shutdown.close_failed",
          std::move(fields));
    }
    Step("close:" + s.name + (timed_out ? ":timeout" : st.ok() ? "" : ":failed"));
    CloseNext(order, index + 1, std::move(*next));
  };
  const TimerId budget = loop_.PostAfter(
      options_.close_timeout, scope_.Guard([finish]() mutable { finish(Status::Ok(), true); }));
  loop_.Offload(
      [close = step.close, error]() -> Duration {
        *error = internal::CallIsolated<Status>("close", [&] {
          close();
          return Status::Ok();
        });
        return Duration{0};
      },
      scope_.Guard([this, error, budget, finish]() mutable {
        loop_.Cancel(budget);
        finish(*error, false);
      }));
}

void Engine::Crash() {
  if (state() == State::kStopped || state() == State::kCrashed) return;
  state_ = State::kCrashed;
  for (auto& s : subs_) s->Abandon();
  if (dlq_timer_ != 0) loop_.Cancel(dlq_timer_);
  if (drain_timer_ != 0) loop_.Cancel(drain_timer_);
  if (readiness_timer_ != 0) loop_.Cancel(readiness_timer_);
  dlq_timer_ = drain_timer_ = readiness_timer_ = 0;
  metrics_.GetGauge("protean_engine_up")->Set(0);
  Emit(EngineEvent{EngineEventKind::kCrashed});
}

// --- health -------------------------------------------------------------------

HealthResponse Engine::Live() const {
  const int64_t now = ToMicros(loop_.Now());
  int64_t posted = live_probe_posted_us_.load();
  if (posted != 0 && now - posted > options_.liveness_bound.count()) {
    return {503, R"({"status":"unavailable","checks":{"event_loop":"unresponsive"}})"};
  }
  if (posted == 0 && live_probe_posted_us_.compare_exchange_strong(posted, now)) {
    // The loop answers by clearing the mark; until it does, the next probe
    // measures how long it has waited.
    loop_.Post([this] { live_probe_posted_us_.store(0); });
  }
  return {200, R"({"status":"ok","checks":{"event_loop":"responsive"}})"};
}

HealthResponse Engine::Ready() const {
  const State s = state();
  if (s != State::kRunning) {
    return {503, R"({"status":"unavailable","checks":{"shutting_down":true}})"};
  }
  if (drain_requested_.load()) {
    return {503, R"({"status":"unavailable","checks":{"shutting_down":false,"draining":true}})"};
  }
  MutexLock lock(&health_mu_);
  return {ready_ok_ ? 200 : 503, std::string(R"({"status":")") + (ready_ok_ ? "ok" : "degraded") +
                                     R"(","checks":)" + ready_checks_ + "}"};
}

void Engine::ScheduleReadinessRefresh() {
  if (state() != State::kRunning) return;
  readiness_timer_ = loop_.PostAfter(options_.readiness_refresh, scope_.Guard([this] {
    readiness_timer_ = 0;
    RefreshReadiness();
  }));
}

namespace {

// Protean's readiness checks (server/health.py _check_readiness): the
// verdict of each adapter, grouped as it groups them. A failure says why,
// redacted ("unavailable" in Protean).
nlohmann::json ReadinessChecks(const std::vector<std::pair<std::string, Status>>& results) {
  nlohmann::json checks = {{"shutting_down", false},
                           {"providers", nlohmann::json::object()},
                           {"brokers", nlohmann::json::object()},
                           {"event_store", "ok"},
                           {"caches", nlohmann::json::object()}};
  for (const auto& [key, st] : results) {
    const nlohmann::json verdict =
        st.ok() ? nlohmann::json("ok")
                : nlohmann::json("unavailable: " + config::RedactText(st.ToString()));
    const size_t dot = key.find('.');
    const std::string kind = key.substr(0, dot);
    const std::string name = dot == std::string::npos ? "" : key.substr(dot + 1);
    if (kind == "event_store") {
      checks["event_store"] = verdict;
    } else {
      checks[kind == "databases" ? "providers" : kind][name] = verdict;
    }
  }
  return checks;
}

}  // namespace

void Engine::RefreshReadiness(std::function<void()> done) {
  struct Pings {
    std::vector<std::pair<std::string, Status>> results;
  };
  auto pings = std::make_shared<Pings>();
  // Pinged in init order (databases, caches, brokers, event store), as the
  // body lists them.
  std::vector<AdapterStep> order = adapters_.CloseOrder();
  loop_.Offload(
      [order = std::move(order), pings]() -> Duration {
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
          pings->results.emplace_back(
              it->check_key, internal::CallIsolated<Status>("ping", [&] { return it->ping(); }));
        }
        return Duration{0};
      },
      scope_.Guard([this, pings, done = std::move(done)] {
        bool ok = true;
        for (const auto& [key, st] : pings->results) ok = ok && st.ok();
        const nlohmann::json checks = ReadinessChecks(pings->results);
        {
          MutexLock lock(&health_mu_);
          ready_ok_ = ok;
          ready_checks_ = checks.dump();
        }
        const std::string status = ok ? "ok" : "degraded";
        if (status != ready_status_ && state() == State::kRunning) {
          ready_status_ = status;
          SetReadiness(status);
        }
        ScheduleReadinessRefresh();
        if (done) done();
      }));
}

}  // namespace protean
