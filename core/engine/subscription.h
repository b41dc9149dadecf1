#pragma once
// What the engine needs from a subscription of either type (Subscription),
// and the state and plumbing both types share (SubscriptionBase): the
// handler, its resolved config, the loop, the attempt runner, the tick
// timer, guarded offloads, event reporting and error accounting, and the one
// count of work in flight that both the drain and the idle check read.

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/config/sections.h"
#include "core/config/subscription_config.h"
#include "core/engine/attempt_runner.h"
#include "core/engine/engine_events.h"
#include "core/engine/handler.h"
#include "core/engine/internal/callback_scope.h"
#include "core/engine/internal/offload.h"
#include "core/engine/log.h"
#include "core/engine/metrics.h"
#include "core/executor.h"
#include "core/runtime/prng.h"

namespace protean {

class Broker;
class Cache;
class Database;
class EventStore;

// Everything a subscription uses but does not own. All pointers outlive it.
struct SubscriptionDeps {
  Executor* loop = nullptr;
  MetricsRegistry* metrics = nullptr;
  EngineObserver* observer = nullptr;  // may be null
  Prng* prng = nullptr;                // backoff jitter
  // Given to handlers (HandlerContext); each may be null.
  Database* database = nullptr;       // the "default" database
  Cache* cache = nullptr;             // the "default" cache
  Broker* publish_broker = nullptr;   // ctx.publisher's Publish: the "default" broker
  EventStore* event_store = nullptr;  // ctx.publisher's Append
  std::string instance;               // engine instance name
  // The instance name is a stable operator-given one (`--instance`), not a
  // per-process identity: event-store positions are then the instance's own.
  bool named_instance = true;
  LogSink log;  // where errors are logged (never null)
  // How long an idle subscription waits before polling again when its
  // backend cannot block on a read (memory broker, event store): idle_poll
  // after the first empty read, doubling per empty read up to idle_poll_max,
  // back to idle_poll as soon as a read returns something.
  Duration idle_poll = Millis(10);
  Duration idle_poll_max = Millis(250);
  // How long to wait after a backend call failed (the backend is failing):
  // idle_poll, but never less than 100 ms, so that a failing backend is not
  // hammered and a simulation never spins at one instant.
  Duration FailureBackoff() const { return std::max(idle_poll, Millis(100)); }
  // The longest one blocking read may block: blocking_timeout_ms, capped
  // here (1 s, as Protean's reads). A stop does not wait it out: it wakes
  // the read (Broker::WakeReads).
  Duration blocking_read_max = Seconds(1);
  // The blocking reads in flight over every subscription of the engine and
  // their bound (EngineOptions::worker_threads and the broker's connections,
  // each less 2; 0: none). A blocked read holds a worker thread and a pooled
  // connection while its stream is idle, so idle subscriptions past the
  // bound must not take them from busy ones.
  std::shared_ptr<std::atomic<int64_t>> blocking_reads;
  int64_t blocking_reads_max = 0;
  // A slot for one blocking read, freed when the last copy is dropped; null
  // when the bound is reached (the read then does not block, and a read that
  // comes back empty polls again after IdlePollDelay).
  std::shared_ptr<void> TakeBlockingRead() const;
  // [server.priority_lanes]: with `enabled`, a stream subscription also
  // consumes its backfill lane (core/engine/stream_subscription.h).
  config::PriorityLanesConfig priority_lanes;
};

class Subscription {
 public:
  virtual ~Subscription() = default;

  virtual void Start() = 0;
  // Stops fetching and cancels retry timers (those messages stay pending).
  // `on_idle` runs on the loop once nothing is in flight (maybe at once).
  virtual void StopFetching(std::function<void()> on_idle) = 0;
  // Drain timed out or the instance crashed: ignore every later completion.
  virtual void Abandon() = 0;
  // Writes what is buffered (acks, the position); `done` runs on the loop.
  virtual void Flush(std::function<void()> done) = 0;

  virtual const std::string& name() const = 0;
  virtual SubscriptionType type() const = 0;
  virtual const SubscriptionConfig& config() const = 0;
  // "stream" or "category" consumed.
  virtual const std::string& stream() const = 0;
  // Anything in flight: attempts, adapter calls, unconfirmed acks or writes.
  virtual bool in_flight() const = 0;
};

// The wait before the next poll after `empty_reads` empty reads in a row.
Duration IdlePollDelay(const SubscriptionDeps& deps, int empty_reads);

// Work a subscription has handed off and not seen complete. One count per
// kind; never negative (checked).
struct InFlight {
  enum Kind { kSetup, kFetch, kClaim, kRedeliver, kDlqMove, kAck, kRelease, kWrite, kTrim, kKinds };
  int counts[kKinds] = {};
  void Add(Kind k) { ++counts[k]; }
  void Done(Kind k);
  int of(Kind k) const { return counts[k]; }
  int total() const;
};

class SubscriptionBase : public Subscription {
 public:
  const std::string& name() const override { return handler_.name; }
  const SubscriptionConfig& config() const override { return config_; }
  const std::string& stream() const override { return handler_.stream; }
  bool in_flight() const override { return runner_.busy() || work_.total() > 0; }
  const std::string& consumer() const { return consumer_; }

 protected:
  enum class State { kIdle, kRunning, kStopping, kAbandoned };

  // The consumer is `<handler>-<instance>`.
  SubscriptionBase(SubscriptionDeps deps, const HandlerRegistration& handler,
                   SubscriptionConfig config);

  bool running() const { return state_ == State::kRunning; }
  // Tick() runs after `delay` unless a tick is already scheduled.
  void ScheduleTick(Duration delay);
  virtual void Tick() = 0;

  // Runs `call` off the loop (it must not touch subscription state) and
  // `done(result)` on the loop, unless the subscription was abandoned or
  // destroyed meanwhile. `kind` is counted in flight until the call returns.
  template <typename T, typename Call, typename Done>
  void Offload(InFlight::Kind kind, Call call, Done done) {
    work_.Add(kind);
    OffloadCall<T>(
        *deps_.loop, std::move(call),
        scope_.GuardAlive([this, kind, done = scope_.Guard(std::move(done))](Result<T> r) mutable {
          work_.Done(kind);
          done(std::move(r));
        }));
  }
  // The same, but `done` runs even after Abandon() (an ack or a position the
  // backend applied is still reported); only destruction drops it.
  template <typename T, typename Call, typename Done>
  void OffloadPastAbandon(InFlight::Kind kind, Call call, Done done) {
    work_.Add(kind);
    OffloadCall<T>(*deps_.loop, std::move(call),
                   scope_.GuardAlive([this, kind, done = std::move(done)](Result<T> r) mutable {
                     work_.Done(kind);
                     done(std::move(r));
                   }));
  }
  template <typename Fn>
  auto Guard(Fn fn) const {
    return scope_.Guard(std::move(fn));
  }
  // Runs even after Abandon() (CallbackScope::GuardAlive); on the loop.
  template <typename Fn>
  auto GuardAlive(Fn fn) const {
    return scope_.GuardAlive(std::move(fn));
  }

  // An event about this subscription (subscription, stream, ids set).
  EngineEvent Event(EngineEventKind kind, const std::string& entry_id,
                    const std::string& message_id, int64_t attempt) const;
  // To the observer, if any, stamped with the loop's time and the instance.
  void Report(EngineEvent event) const;
  bool observed() const { return deps_.observer != nullptr; }
  // A failed adapter call (`op`: read, ack, claim, ...): reported as a kError
  // event, counted in protean_subscription_errors{op}, and logged, whether
  // or not anyone observes the engine.
  // Logged once per outage of `op` (then at most every kOutageLogEvery),
  // so a broker that is down does not print a line per poll.
  void Error(const std::string& op, const Status& status, const std::string& what = "");
  // After a successful call of `op`: ends its outage, if any, with a
  // "<op>_recovered" line saying how long it lasted.
  void Recovered(const std::string& op);
  // A log line about one message: handler, stream, consumer, entry id,
  // message id, attempt and, when `m` is given, correlation/causation ids.
  // `stream`: the stream the entry is in, when not the handler's (a lane).
  void LogMessage(LogLevel level, std::string event, const std::string& entry_id, const Message* m,
                  const std::string& message_id, int64_t attempt, std::string text,
                  const std::string& stream = "") const;

  // The shared parts of StopFetching and Abandon: state, tick timer, the
  // idle callback and the attempt runner.
  void BeginStop(std::function<void()> on_idle);
  void BeginAbandon();
  // Runs the idle callback once stopping with nothing in flight.
  void MaybeIdle();
  void CancelTimer(TimerId* timer);

  SubscriptionDeps deps_;
  const HandlerRegistration& handler_;
  SubscriptionConfig config_;
  std::string consumer_;
  AttemptRunner runner_;
  State state_ = State::kIdle;
  InFlight work_;
  int empty_reads_ = 0;
  TimerId tick_timer_ = 0;
  TimePoint tick_due_{};  // when tick_timer_ fires
  std::function<void()> on_idle_;

  MetricLabels labels_;
  Counter* processed_ok_;
  Counter* processed_failed_;
  Counter* retries_counter_;
  Histogram* duration_;

 private:
  static constexpr Duration kOutageLogEvery = Seconds(60);
  struct Outage {
    TimePoint since{};
    TimePoint logged{};
    int64_t failures = 0;
  };
  LogRecord Record(LogLevel level, std::string event) const;

  std::map<std::string, Outage> outages_;  // by op, while its calls fail
  internal::CallbackScope scope_;
};

}  // namespace protean
