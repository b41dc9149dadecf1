#pragma once
// The Engine runs a set of subscriptions on one loop, maintains the DLQs,
// answers health probes and shuts down gracefully:
//
//   Shutdown(reason): readiness turns "draining" at once (503), every
//   subscription stops fetching, in-flight handlers get up to drain_timeout to
//   finish (unfinished messages stay pending for another consumer), buffered
//   acks and positions are written, then adapters close in reverse init
//   order: event store -> brokers -> caches -> databases, each close isolated.
//   Every step is reported as a kShutdownStep event.
//
//   RequestDrain() (POST /drainz): a one-way drain for blue-green hand-overs:
//   readiness turns 503 "draining", every subscription stops fetching, running
//   attempts finish (no timeout; retries waiting are left pending for another
//   consumer), acks are written, and the engine stays up (liveness 200, the
//   health server answers) until Shutdown.
//
//   Crash(): the instance vanishes (simulation): nothing more is acked or
//   written, timers are dropped, adapters are left as they are.
//
// All methods except the health probes run on the loop. Live()/Ready() may
// be called from any thread (the health HTTP server's) and never block:
// Ready() reads the snapshot that a loop task refreshes every
// readiness_refresh by pinging every adapter off the loop; Live() posts a
// no-op to the loop and answers 503 once one has waited longer than
// liveness_bound.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/broker.h"
#include "core/cache.h"
#include "core/database.h"
#include "core/engine/dlq_alert_callback.h"
#include "core/engine/engine_events.h"
#include "core/engine/handler.h"
#include "core/engine/internal/callback_scope.h"
#include "core/engine/log.h"
#include "core/engine/metrics.h"
#include "core/engine/subscription.h"
#include "core/event_store.h"
#include "core/executor.h"
#include "core/mutex.h"
#include "core/runtime/prng.h"

namespace protean {

// One adapter as the engine pings and closes it.
struct AdapterStep {
  std::string name;       // "broker:default": the shutdown step's name
  std::string check_key;  // "brokers.default": its key in the readiness body
  std::function<Status()> ping;
  std::function<void()> close;
};

// The adapters an engine uses, in init order within each kind (databases,
// caches, brokers, then the event store). Not owned.
struct EngineAdapters {
  std::vector<std::pair<std::string, Database*>> databases;
  std::vector<std::pair<std::string, Cache*>> caches;
  std::vector<std::pair<std::string, Broker*>> brokers;
  EventStore* event_store = nullptr;

  Broker* broker(const std::string& name) const;
  Database* database(const std::string& name) const;
  Cache* cache(const std::string& name) const;
  // Every adapter in close order (reverse init order: event store, brokers,
  // caches, databases); init order is this list reversed.
  std::vector<AdapterStep> CloseOrder() const;
};

struct DlqSettings {
  bool enabled = false;
  double retention_hours = 168;
  int64_t alert_threshold = 100;
  double check_interval_seconds = 60;
};

struct EngineOptions {
  std::string instance = "engine";
  // `instance` is an operator-given stable name (not a per-process identity):
  // event-store positions are then the instance's own (see
  // core/engine/event_store_subscription.h).
  bool named_instance = true;
  Duration drain_timeout = Seconds(10);
  // Each adapter's Close() during shutdown gets this long; one that takes
  // longer is reported (close:<adapter>:timeout) and the next one closes.
  Duration close_timeout = Seconds(2);
  DlqSettings dlq;
  Duration idle_poll = Millis(10);  // see SubscriptionDeps
  Duration idle_poll_max = Millis(250);
  Duration blocking_read_max = Seconds(1);  // see SubscriptionDeps
  // The worker threads of the executor (0: not known). A blocked read holds
  // a worker thread, and a pooled connection, while its stream is idle: the
  // blocking reads in flight at once are bounded to leave 2 of each to the
  // rest; past the bound an idle subscription polls (see SubscriptionDeps).
  int64_t worker_threads = 0;
  config::PriorityLanesConfig priority_lanes;  // [server.priority_lanes], see SubscriptionDeps
  Duration readiness_refresh = Seconds(1);     // how often adapters are pinged for Ready()
  Duration liveness_bound = Seconds(5);        // Live() is 503 once the loop is this late
  LogSink log;                                 // null: FormatLogText lines on stderr
};

struct HealthResponse {
  int status = 200;
  std::string body;  // JSON
};

class Engine {
 public:
  enum class State { kCreated, kRunning, kDraining, kStopped, kCrashed };

  Engine(Executor& loop, Prng& prng, MetricsRegistry& metrics, EngineAdapters adapters,
         EngineOptions options, EngineObserver* observer = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Before Start(). `handler` must outlive the engine. kInvalidArgument when
  // the adapters cannot serve it (no broker, a broker without groups, ...).
  Status AddSubscription(const HandlerRegistration& handler, const SubscriptionConfig& config);
  void AddDlqAlertCallback(DlqAlertCallback callback);

  void Start();
  // Idempotent; `done(exit_code)` runs on the loop once adapters are closed.
  // Exit code 0 after a clean stop, 1 after a drain cut off by the timeout
  // (or by CutDrain) or a failed or timed-out close.
  void Shutdown(const std::string& reason, std::function<void(int)> done = nullptr);
  // During a drain: ends it now, as drain_timeout would (unfinished attempts
  // are abandoned, their messages stay pending). A second signal. No-op
  // otherwise.
  void CutDrain();
  // The one-way drain above; idempotent; a no-op unless running.
  void RequestDrain();
  void Crash();

  // Any thread: where a requested drain stands.
  struct DrainProgress {
    bool requested = false;
    size_t subscriptions = 0;
    size_t idle = 0;  // subscriptions with nothing in flight any more
    bool done() const { return requested && idle == subscriptions; }
  };
  DrainProgress drain_progress() const;

  State state() const { return state_.load(); }
  const std::string& instance() const { return options_.instance; }
  const std::vector<std::shared_ptr<Subscription>>& subscriptions() const { return subs_; }
  // Runs one DLQ maintenance cycle now (also used by the periodic timer).
  void RunDlqMaintenance(std::function<void()> done = nullptr);

  // 200 while the loop runs posted tasks within liveness_bound; 503
  // "unresponsive" when a no-op posted earlier has waited longer.
  HealthResponse Live() const;
  // The last readiness snapshot: 200 "ok", 503 "degraded" when an adapter
  // failed its ping, 503 "unavailable" while draining or stopped.
  HealthResponse Ready() const;
  // Pings every adapter off the loop and publishes the snapshot Ready()
  // reads; `done` runs on the loop afterwards. Also run by a timer.
  void RefreshReadiness(std::function<void()> done = nullptr);

 private:
  // The bound on blocking reads in flight: worker_threads and the default
  // broker's connections, each less 2 (at least 1); 0: neither is bounded.
  int64_t BlockingReadsMax() const;
  struct DlqTarget {
    std::string stream;
    double retention_hours;
    int64_t threshold;
  };
  void Emit(EngineEvent event);
  void Step(const std::string& detail);
  void Log(LogLevel level, std::string event, LogRecord fields = {});
  // A failed engine-level adapter call (DLQ maintenance, ...): reported,
  // counted and logged like a subscription's.
  void Error(const std::string& op, const std::string& stream, const Status& status);
  void ScheduleReadinessRefresh();
  void ScheduleDlqMaintenance();
  std::vector<DlqTarget> DlqTargets() const;
  void AlertDlq(const DlqTarget& target, int64_t depth);
  // `timed_out`: cut off (by drain_timeout, or by CutDrain when `cut`).
  void OnDrained(bool timed_out, bool cut = false);
  // The close order is built once; CloseNext closes one adapter per step.
  void CloseAdapters(std::function<void()> done);
  void CloseNext(std::shared_ptr<const std::vector<AdapterStep>> order, size_t index,
                 std::function<void()> done);
  void SetReadiness(const std::string& state);

  Executor& loop_;
  Prng& prng_;
  MetricsRegistry& metrics_;
  EngineAdapters adapters_;
  EngineOptions options_;
  EngineObserver* observer_;
  // Blocking reads in flight over every subscription (SubscriptionDeps).
  std::shared_ptr<std::atomic<int64_t>> blocking_reads_ = std::make_shared<std::atomic<int64_t>>(0);
  std::atomic<State> state_{State::kCreated};
  std::vector<std::shared_ptr<Subscription>> subs_;
  std::vector<DlqAlertCallback> alert_callbacks_;
  TimerId dlq_timer_ = 0;
  TimerId drain_timer_ = 0;
  size_t draining_left_ = 0;
  bool drain_finished_ = false;
  std::vector<std::function<void(int)>> shutdown_done_;
  int exit_code_ = 0;
  TimerId readiness_timer_ = 0;

  std::atomic<bool> drain_requested_{false};
  std::atomic<size_t> drain_idle_{0};

  // The last readiness event, ok | degraded (the loop's own).
  std::string ready_status_ = "ok";
  // Written on the loop, read by Ready() from any thread.
  mutable Mutex health_mu_;
  bool ready_ok_ PROTEAN_GUARDED_BY(health_mu_) = true;  // until the first refresh says otherwise
  // Until the first refresh:
  std::string ready_checks_ PROTEAN_GUARDED_BY(health_mu_) = R"({"shutting_down":false})";
  // Live(): the instant the unanswered no-op was posted (0 = none waiting).
  mutable std::atomic<int64_t> live_probe_posted_us_{0};

  internal::CallbackScope scope_;
};

}  // namespace protean
