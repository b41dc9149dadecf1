#pragma once
// The gauges of `protean server` that need an adapter call: per
// subscription its consumer lag, pending messages, DLQ depth and status,
// and the pool gauges (protean_db_pool_*, protean_broker_pool_active_connections).
// A thread of its own refreshes them every `interval` (with its own broker
// connections in `protean server`: Domain::CreateSideBroker), so a /metrics scrape
// only renders the registry and never waits for Redis; while an adapter is
// down a scrape shows the last values and protean_subscription_status 0.
//
// As Protean's subscription_status.py measures them:
// - stream: lag is XINFO GROUPS' lag (entries not yet delivered to the
//   group; no sample while Redis reports it unknown), pending the group's
//   whole pending list (XPENDING's summary count, never capped), DLQ depth
//   the length of {stream}:dlq;
// - event store: lag is the category's head global position minus the
//   position stored in the subscription's position stream, at least 0 (no
//   sample while the category is empty: Protean's "unknown"); pending and
//   DLQ depth are 0 (Protean's values: positions, not deliveries, and no
//   DLQ). A stored position of none counts as 0 (global positions start
//   at 1; Protean's -1 would add one).
// Labels are the subscription's (subscription, handler, stream) plus type
// "stream" or "event_store".
//
// Thread-safety: Start/Stop from one thread; RefreshOnce runs on the
// refresher thread (or the caller's, in tests). The broker and database must
// allow calls from any thread (the real adapters do) and outlive Stop().

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/server/periodic_thread.h"
#include "core/broker.h"
#include "core/database.h"
#include "core/engine/metrics.h"
#include "core/event_store.h"
#include "core/mutex.h"
#include "core/time.h"

namespace protean::cli {

struct RefreshedSubscription {
  std::string handler;
  std::string stream;               // the stream, or the event store's category
  bool stream_subscription = true;  // false: event store
  std::string position_stream;      // event store: where its position is stored
  std::string group = {};           // stream: the consumer group; empty: the handler name
  // Event store: the older names its position is read from while
  // position_stream is still empty (EventStorePositionStreams).
  std::vector<std::string> older_position_streams = {};
};

class MetricsRefresher {
 public:
  // `running` says whether the engine is running (status 0 once it stops).
  // `broker` serves the stream subscriptions, `event_store` the others;
  // either may be null when no subscription needs it.
  MetricsRefresher(MetricsRegistry& metrics, Broker* broker, EventStore* event_store,
                   Database* database, std::vector<RefreshedSubscription> subscriptions,
                   std::function<bool()> running, Duration interval);
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
  // The adapter calls of one type; false when one failed.
  bool RefreshStream(const RefreshedSubscription& s, const MetricLabels& labels, Detail* detail);
  bool RefreshEventStore(const RefreshedSubscription& s, const MetricLabels& labels,
                         Detail* detail);
  void SetGauge(const char* name, const MetricLabels& labels, int64_t value);
  void RefreshPools();

  MetricsRegistry& metrics_;
  Broker* broker_;
  EventStore* event_store_;
  Database* database_;
  std::vector<RefreshedSubscription> subscriptions_;
  std::function<bool()> running_;
  Duration interval_;
  mutable Mutex mu_;
  std::vector<Detail> details_ PROTEAN_GUARDED_BY(mu_);  // one per subscription
  PeriodicThread thread_;
};

}  // namespace protean::cli
