#pragma once
// The gauges of `protean server` that need an adapter call: per stream
// subscription its consumer lag, pending messages, DLQ depth and status,
// and the pool gauges (protean_db_pool_*, protean_broker_pool_active_connections).
// A thread of its own refreshes them every `interval` (with its own broker
// connections in `protean server`: Domain::CreateSideBroker), so a /metrics scrape
// only renders the registry and never waits for Redis; while the broker is
// down a scrape shows the last values and protean_subscription_status 0.
//
// Labels are the subscription's (subscription, handler, stream) plus
// type="stream". Pending counts stop at kPendingCountMax (one XPENDING
// page). Event-store subscriptions get status only (their lag needs the
// category head, not measured here).
//
// Thread-safety: Start/Stop from one thread; RefreshOnce runs on the
// refresher thread (or the caller's, in tests). The broker and database must
// allow calls from any thread (the real adapters do) and outlive Stop().

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/broker.h"
#include "core/database.h"
#include "core/engine/metrics.h"
#include "core/mutex.h"
#include "core/time.h"

namespace protean::cli {

struct RefreshedSubscription {
  std::string handler;
  std::string stream;
  bool stream_subscription = true;  // false: event store (status only)
};

class MetricsRefresher {
 public:
  static constexpr int kPendingCountMax = 10000;

  // `running` says whether the engine is running (status 0 once it stops).
  MetricsRefresher(MetricsRegistry& metrics, Broker* broker, Database* database,
                   std::vector<RefreshedSubscription> subscriptions, std::function<bool()> running,
                   Duration interval);
  ~MetricsRefresher();
  MetricsRefresher(const MetricsRefresher&) = delete;
  MetricsRefresher& operator=(const MetricsRefresher&) = delete;

  static constexpr Duration kFirstPassDelay = Millis(500);

  // Refreshes after kFirstPassDelay, then every interval, until Stop (which waits for
  // the adapter call under way, bounded by the adapter's own timeouts).
  void Start();
  void Stop();
  // One pass over every gauge.
  void RefreshOnce();
  // The readiness body's informational "subscriptions" block, Protean's
  // shape, from the last pass: {"total":N,"details":[{"name",
  // "handler_name","subscription_type","stream_category","lag","pending",
  // "dlq_depth","status"}]}; null counts where nothing is known (yet).
  std::string SubscriptionsJson() const;

 private:
  struct Detail {
    std::optional<int64_t> lag, pending, dlq_depth;
    bool ok = false;
  };
  Detail RefreshSubscription(const RefreshedSubscription& s, bool running);
  void RefreshPools();

  MetricsRegistry& metrics_;
  Broker* broker_;
  Database* database_;
  std::vector<RefreshedSubscription> subscriptions_;
  std::function<bool()> running_;
  Duration interval_;
  mutable Mutex mu_;
  std::vector<Detail> details_ PROTEAN_GUARDED_BY(mu_);  // one per subscription
  CondVar wake_;
  bool stop_ PROTEAN_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace protean::cli
