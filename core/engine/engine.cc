#include "core/engine/engine.h"

#include <cstdio>
#include <exception>
#include <map>

#include <nlohmann/json.hpp>

#include "core/engine/event_store_subscription.h"
#include "core/engine/offload.h"
#include "core/engine/stream_subscription.h"

namespace protean {

Broker* EngineAdapters::broker(const std::string& name) const {
  for (const auto& [n, b] : brokers) {
    if (n == name) return b;
  }
  return nullptr;
}

Database* EngineAdapters::database(const std::string& name) const {
  for (const auto& [n, d] : databases) {
    if (n == name) return d;
  }
  return nullptr;
}

Engine::Engine(Executor& loop, Prng& prng, MetricsRegistry& metrics, EngineAdapters adapters,
               EngineOptions options, EngineObserver* observer)
    : loop_(loop),
      prng_(prng),
      metrics_(metrics),
      adapters_(std::move(adapters)),
      options_(std::move(options)),
      observer_(observer) {}

Engine::~Engine() {
  *alive_ = false;
  for (auto& s : subs_) s->Abandon();
  if (dlq_timer_ != 0) loop_.Cancel(dlq_timer_);
  if (drain_timer_ != 0) loop_.Cancel(drain_timer_);
}

void Engine::Emit(EngineEvent event) {
  if (observer_ == nullptr) return;
  event.at = loop_.Now();
  event.instance = options_.instance;
  observer_->OnEngineEvent(event);
}

void Engine::Step(const std::string& detail) {
  EngineEvent e{EngineEventKind::kShutdownStep};
  e.detail = detail;
  Emit(std::move(e));
}

void Engine::Log(LogLevel level, const std::string& line) {
  if (options_.log) {
    options_.log(level, line);
    return;
  }
  static const char* kNames[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
  std::fprintf(stderr, "%s %s [%s] %s\n", FormatTime(loop_.Now()).c_str(),
               kNames[static_cast<int>(level)], options_.instance.c_str(), line.c_str());
}

void Engine::SetReadiness(const std::string& state) {
  EngineEvent e{EngineEventKind::kReadiness};
  e.outcome = state;
  Emit(std::move(e));
}

Status Engine::AddSubscription(const HandlerRegistration& handler,
                               const SubscriptionConfig& config) {
  PROTEAN_CHECK(state() == State::kCreated);
  SubscriptionDeps deps{&loop_, &metrics_, observer_, &prng_, adapters_.database("default"),
                        options_.instance, options_.idle_poll, options_.idle_poll_max};
  if (config.type == SubscriptionType::kStream) {
    Broker* broker = adapters_.broker("default");
    if (broker == nullptr) {
      return Status::InvalidArgument("handler " + handler.name +
                                     ": a stream subscription needs brokers.default");
    }
    const BrokerCapabilities caps = broker->capabilities();
    if (!caps.consumer_groups) {
      return Status::InvalidArgument(
          "handler " + handler.name + ": broker provider '" + std::string(broker->provider()) +
          "' is fan-out only (no consumer groups, retries or DLQ); use provider 'redis' or "
          "'inline' for stream subscriptions");
    }
    if (config.enable_dlq && !caps.dlq) {
      return Status::InvalidArgument("handler " + handler.name + ": broker provider '" +
                                     std::string(broker->provider()) + "' has no DLQ");
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
}

// --- DLQ maintenance --------------------------------------------------------

std::vector<Engine::DlqTarget> Engine::DlqTargets() const {
  // One target per DLQ stream. Handlers sharing a stream: the longest
  // retention (keep more) and the lowest threshold (alert sooner) win.
  std::map<std::string, DlqTarget> by_stream;
  for (const auto& s : subs_) {
    if (s->type() != SubscriptionType::kStream) continue;
    const SubscriptionConfig& c = s->config();
    DlqTarget t{DlqStreamName(s->stream()), c.dlq_retention_hours.value_or(options_.dlq.retention_hours),
                c.dlq_alert_threshold.value_or(options_.dlq.alert_threshold)};
    auto [it, inserted] = by_stream.emplace(t.stream, t);
    if (!inserted) {
      it->second.retention_hours = std::max(it->second.retention_hours, t.retention_hours);
      it->second.threshold = std::min(it->second.threshold, t.threshold);
    }
  }
  std::vector<DlqTarget> out;
  for (auto& [_, t] : by_stream) out.push_back(t);
  return out;
}

void Engine::ScheduleDlqMaintenance() {
  std::weak_ptr<bool> alive = alive_;
  dlq_timer_ = loop_.PostAfter(SecondsF(options_.dlq.check_interval_seconds), [this, alive] {
    if (alive.expired()) return;
    dlq_timer_ = 0;
    if (state() != State::kRunning) return;
    RunDlqMaintenance([this, alive] {
      if (!alive.expired() && state() == State::kRunning) ScheduleDlqMaintenance();
    });
  });
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
  std::weak_ptr<bool> alive = alive_;
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
        [this, alive, t, out, cycle] {
          if (alive.expired()) return;
          if (!out->trimmed.ok() || !out->depth.ok()) {
            const Status& st = !out->trimmed.ok() ? out->trimmed.status() : out->depth.status();
            Log(LogLevel::kError, "dlq_maintenance.failed dlq_stream=" + t.stream + " " +
                                      st.ToString());
            EngineEvent e{EngineEventKind::kError};
            e.stream = t.stream;
            e.detail = "dlq maintenance: " + st.ToString();
            Emit(std::move(e));
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
        });
  }
}

void Engine::AlertDlq(const DlqTarget& t, int64_t depth) {
  Log(LogLevel::kWarning, "dlq_maintenance.threshold_exceeded dlq_stream=" + t.stream +
                              " depth=" + std::to_string(depth) +
                              " threshold=" + std::to_string(t.threshold));
  metrics_.GetCounter("protean_dlq_alerts", {{"dlq_stream", t.stream}})->Inc();
  EngineEvent e{EngineEventKind::kDlqAlert};
  e.stream = t.stream;
  e.value = depth;
  e.detail = std::to_string(t.threshold);
  Emit(std::move(e));
  std::weak_ptr<bool> alive = alive_;
  for (const auto& cb : alert_callbacks_) {
    // Callbacks run off the loop: a slow or failing one never stalls the engine.
    auto result = std::make_shared<Status>();
    loop_.Offload(
        [cb, t, depth, result]() -> Duration {
          try {
            *result = cb(t.stream, depth, t.threshold);
          } catch (const std::exception& ex) {
            *result = Status::Internal(std::string("callback threw: ") + ex.what());
          } catch (...) {
            *result = Status::Internal("callback threw");
          }
          return Duration{0};
        },
        [this, alive, t, result] {
          if (alive.expired() || result->ok()) return;
          Log(LogLevel::kError, "dlq_maintenance.callback_failed dlq_stream=" + t.stream + " " +
                                    result->ToString());
          metrics_.GetCounter("protean_dlq_alert_callback_failures", {{"dlq_stream", t.stream}})
              ->Inc();
          EngineEvent failed{EngineEventKind::kDlqCallbackFailed};
          failed.stream = t.stream;
          failed.detail = result->ToString();
          Emit(std::move(failed));
        });
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
  std::weak_ptr<bool> alive = alive_;
  drain_timer_ = loop_.PostAfter(options_.drain_timeout, [this, alive] {
    if (alive.expired()) return;
    drain_timer_ = 0;
    OnDrained(true);
  });
  if (subs_.empty()) {
    OnDrained(false);
    return;
  }
  for (auto& sub : subs_) {
    sub->StopFetching([this, alive] {
      if (alive.expired()) return;
      if (draining_left_ > 0 && --draining_left_ == 0) OnDrained(false);
    });
  }
}

void Engine::OnDrained(bool timed_out) {
  if (drain_finished_ || state() != State::kDraining) return;
  drain_finished_ = true;
  if (drain_timer_ != 0) loop_.Cancel(drain_timer_);
  drain_timer_ = 0;
  if (timed_out) {
    int unfinished = 0;
    for (auto& s : subs_) {
      if (s->in_flight()) {
        ++unfinished;
        s->Abandon();  // its message stays pending; a late completion acks nothing
      }
    }
    Step("drain_timeout:" + std::to_string(unfinished));
    Log(LogLevel::kWarning, "shutdown.drain_timeout unfinished=" + std::to_string(unfinished));
  } else {
    Step("drain_done");
  }
  // Write buffered acks and positions, then close adapters in reverse order.
  auto left = std::make_shared<size_t>(subs_.size());
  std::weak_ptr<bool> alive = alive_;
  auto then_close = [this, alive] {
    if (alive.expired()) return;
    Step("flushed");
    CloseAdapters([this] {
      state_ = State::kStopped;
      Step("stopped");
      auto callbacks = std::move(shutdown_done_);
      shutdown_done_.clear();
      for (auto& cb : callbacks) cb(exit_code_);
    });
  };
  if (subs_.empty()) {
    then_close();
    return;
  }
  for (auto& s : subs_) {
    s->Flush([left, then_close] {
      if (--*left == 0) then_close();
    });
  }
}

void Engine::CloseAdapters(std::function<void()> done) {
  // Reverse init order: event store -> brokers -> caches -> databases.
  auto order = std::make_shared<std::vector<std::pair<std::string, std::function<void()>>>>();
  if (adapters_.event_store) {
    EventStore* es = adapters_.event_store;
    order->emplace_back("event_store", [es] { es->Close(); });
  }
  for (auto it = adapters_.brokers.rbegin(); it != adapters_.brokers.rend(); ++it) {
    Broker* b = it->second;
    order->emplace_back("broker:" + it->first, [b] { b->Close(); });
  }
  for (auto it = adapters_.caches.rbegin(); it != adapters_.caches.rend(); ++it) {
    Cache* c = it->second;
    order->emplace_back("cache:" + it->first, [c] { c->Close(); });
  }
  for (auto it = adapters_.databases.rbegin(); it != adapters_.databases.rend(); ++it) {
    Database* d = it->second;
    order->emplace_back("database:" + it->first, [d] { d->Close(); });
  }
  CloseNext(std::move(order), 0, std::move(done));
}

void Engine::CloseNext(std::shared_ptr<const CloseOrder> order, size_t index,
                       std::function<void()> done) {
  if (index >= order->size()) {
    done();
    return;
  }
  auto error = std::make_shared<std::string>();
  const auto& [name, close] = (*order)[index];
  std::weak_ptr<bool> alive = alive_;
  loop_.Offload(
      [close = close, error]() -> Duration {
        try {
          close();
        } catch (const std::exception& e) {
          *error = e.what();
        } catch (...) {
          *error = "unknown exception";
        }
        return Duration{0};
      },
      [this, alive, order, index, name = name, error, done = std::move(done)]() mutable {
        if (alive.expired()) return;
        if (!error->empty()) {
          // Isolated: a failing close is reported and the next one still runs.
          exit_code_ = 1;
          Log(LogLevel::kError, "shutdown.close_failed adapter=" + name + " " + *error);
        }
        Step("close:" + name + (error->empty() ? "" : ":failed"));
        CloseNext(std::move(order), index + 1, std::move(done));
      });
}

void Engine::Crash() {
  if (state() == State::kStopped || state() == State::kCrashed) return;
  state_ = State::kCrashed;
  for (auto& s : subs_) s->Abandon();
  if (dlq_timer_ != 0) loop_.Cancel(dlq_timer_);
  if (drain_timer_ != 0) loop_.Cancel(drain_timer_);
  dlq_timer_ = drain_timer_ = 0;
  metrics_.GetGauge("protean_engine_up")->Set(0);
  Emit(EngineEvent{EngineEventKind::kCrashed});
}

// --- health -------------------------------------------------------------------

HealthResponse Engine::Live() const {
  return {200, R"({"status":"ok","checks":{"event_loop":"responsive"}})"};
}

HealthResponse Engine::Ready() const {
  const State s = state();
  if (s != State::kRunning) {
    return {503, R"({"status":"unavailable","checks":{"shutting_down":true}})"};
  }
  nlohmann::json checks = nlohmann::json::object();
  bool ok = true;
  auto check = [&](const std::string& key, const Status& st) {
    checks[key] = st.ok() ? nlohmann::json("ok") : nlohmann::json(st.ToString());
    ok = ok && st.ok();
  };
  for (const auto& [n, d] : adapters_.databases) check("providers." + n, d->Ping());
  for (const auto& [n, b] : adapters_.brokers) check("brokers." + n, b->Ping());
  for (const auto& [n, c] : adapters_.caches) check("caches." + n, c->Ping());
  if (adapters_.event_store) check("event_store", adapters_.event_store->Ping());
  nlohmann::json body = {{"status", ok ? "ok" : "degraded"}, {"checks", checks}};
  return {ok ? 200 : 503, body.dump()};
}

}  // namespace protean
