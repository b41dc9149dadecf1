#pragma once
// What the engine needs from a subscription of either type, and what they
// share: the handler, its resolved config, the loop and the reporting hooks.

#include <functional>
#include <memory>
#include <string>

#include "core/engine/engine_events.h"
#include "core/engine/handler.h"
#include "core/engine/metrics.h"
#include "core/config/subscription_config.h"
#include "core/executor.h"
#include "core/runtime/prng.h"

namespace protean {

class Database;

// Everything a subscription uses but does not own. All pointers outlive it.
struct SubscriptionDeps {
  Executor* loop = nullptr;
  MetricsRegistry* metrics = nullptr;
  EngineObserver* observer = nullptr;  // may be null
  Prng* prng = nullptr;                // backoff jitter
  Database* database = nullptr;        // given to handlers; may be null
  std::string instance;                // engine instance name
  // How long an idle subscription waits before polling again when its
  // backend cannot block on a read (memory broker, event store): idle_poll
  // after the first empty read, doubling per empty read up to idle_poll_max,
  // back to idle_poll as soon as a read returns something.
  Duration idle_poll = Millis(10);
  Duration idle_poll_max = Millis(250);
};

class Subscription : public std::enable_shared_from_this<Subscription> {
 public:
  virtual ~Subscription() = default;

  virtual void Start() = 0;
  // Stops fetching and cancels retry timers (those messages stay pending).
  // `on_idle` runs on the loop once no attempt is in flight (maybe at once).
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
  virtual bool in_flight() const = 0;
};

// Reports an event to the observer (if any), stamped with the loop's time.
void Report(const SubscriptionDeps& deps, EngineEvent event);

// The wait before the next poll after `empty_reads` empty reads in a row.
Duration IdlePollDelay(const SubscriptionDeps& deps, int empty_reads);

}  // namespace protean
