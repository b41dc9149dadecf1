#include "app/server/metrics_refresher.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "core/engine/event_store_subscription.h"

namespace protean::cli {

MetricsRefresher::MetricsRefresher(MetricsRegistry& metrics, Broker* broker,
                                   EventStore* event_store, Database* database,
                                   std::vector<RefreshedSubscription> subscriptions,
                                   std::function<bool()> running, Duration interval)
    : metrics_(metrics),
      broker_(broker),
      event_store_(event_store),
      database_(database),
      subscriptions_(std::move(subscriptions)),
      running_(std::move(running)),
      interval_(interval) {}

MetricsRefresher::~MetricsRefresher() { Stop(); }

void MetricsRefresher::Start() {
  // The engine creates its consumer groups as it starts: the first pass
  // waits for that rather than reporting missing groups as failures.
  thread_.Start(std::min(interval_, kFirstPassDelay), interval_, [this] { RefreshOnce(); });
}

void MetricsRefresher::Stop() { thread_.Stop(); }

void MetricsRefresher::RefreshOnce() {
  const auto started = std::chrono::steady_clock::now();
  const bool running = running_ ? running_() : true;
  std::vector<Detail> details;
  for (const RefreshedSubscription& s : subscriptions_) {
    details.push_back(RefreshSubscription(s, running));
  }
  {
    MutexLock lock(&mu_);
    details_ = std::move(details);
  }
  RefreshPools();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  metrics_.GetGauge("protean_metrics_refresh_duration")->Set(took.count());
}

MetricsRefresher::Detail MetricsRefresher::RefreshSubscription(const RefreshedSubscription& s,
                                                               bool running) {
  Detail detail;
  const MetricLabels labels = {{"subscription", s.handler + "-" + s.stream},
                               {"handler", s.handler},
                               {"stream", s.stream},
                               {"type", s.stream_subscription ? "stream" : "event_store"}};
  bool ok = running;
  if (s.stream_subscription && broker_ != nullptr) {
    ok = RefreshStream(s, labels, &detail) && ok;
  } else if (!s.stream_subscription && event_store_ != nullptr) {
    ok = RefreshEventStore(s, labels, &detail) && ok;
  }
  metrics_.GetGauge("protean_subscription_status", labels)->Set(ok ? 1 : 0);
  detail.ok = ok;
  return detail;
}

void MetricsRefresher::SetGauge(const char* name, const MetricLabels& labels, int64_t value) {
  metrics_.GetGauge(name, labels)->Set(static_cast<double>(value));
}

bool MetricsRefresher::RefreshStream(const RefreshedSubscription& s, const MetricLabels& labels,
                                     Detail* detail) {
  // Protean's subscriber name: the handler's fqn, else its name.
  const std::string& group = s.group.empty() ? s.handler : s.group;
  Result<std::optional<int64_t>> lag = broker_->Lag(s.stream, group);
  if (lag.ok() && lag->has_value()) {
    detail->lag = **lag;
    SetGauge("protean_subscription_consumer_lag", labels, **lag);
  }
  Result<int64_t> pending = broker_->PendingCount(s.stream, group);
  if (pending.ok()) {
    detail->pending = *pending;
    SetGauge("protean_subscription_pending_messages", labels, *pending);
  }
  Result<int64_t> depth = broker_->DlqDepth(DlqStreamName(s.stream));
  if (depth.ok()) {
    detail->dlq_depth = *depth;
    SetGauge("protean_subscription_dlq_depth", labels, *depth);
  }
  const bool failed = !lag.ok() || !pending.ok() || !depth.ok();
  if (failed) metrics_.GetCounter("protean_metrics_refresh_failures")->Inc();
  return !failed;
}

bool MetricsRefresher::RefreshEventStore(const RefreshedSubscription& s, const MetricLabels& labels,
                                         Detail* detail) {
  std::vector<std::string> streams{s.position_stream};
  streams.insert(streams.end(), s.older_position_streams.begin(), s.older_position_streams.end());
  Result<std::optional<StoredPositionRead>> stored = ReadStoredPosition(*event_store_, streams);
  Result<std::optional<int64_t>> head = event_store_->CategoryHead(s.stream);
  if (stored.ok() && head.ok() && head->has_value()) {
    const int64_t position = stored->has_value() ? StoredPosition((*stored)->message) : 0;
    detail->lag = std::max<int64_t>(0, **head - position);
    SetGauge("protean_subscription_consumer_lag", labels, *detail->lag);
  }
  // Protean's: an event-store subscription has nothing pending and no DLQ.
  detail->pending = 0;
  detail->dlq_depth = 0;
  SetGauge("protean_subscription_pending_messages", labels, 0);
  SetGauge("protean_subscription_dlq_depth", labels, 0);
  const bool failed = !stored.ok() || !head.ok();
  if (failed) metrics_.GetCounter("protean_metrics_refresh_failures")->Inc();
  return !failed;
}

std::string MetricsRefresher::SubscriptionsJson() const {
  nlohmann::json details = nlohmann::json::array();
  MutexLock lock(&mu_);
  for (size_t i = 0; i < subscriptions_.size(); ++i) {
    const RefreshedSubscription& s = subscriptions_[i];
    const Detail d = i < details_.size() ? details_[i] : Detail{};
    auto count = [](const std::optional<int64_t>& v) {
      return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    details.push_back({{"name", s.handler + "-" + s.stream},
                       {"handler_name", s.handler},
                       {"subscription_type", s.stream_subscription ? "stream" : "event_store"},
                       {"stream_category", s.stream},
                       {"lag", count(d.lag)},
                       {"pending", count(d.pending)},
                       {"dlq_depth", count(d.dlq_depth)},
                       {"status", i >= details_.size() ? "unknown"
                                  : d.ok               ? "ok"
                                                       : "error"}});
  }
  return nlohmann::json{{"total", subscriptions_.size()}, {"details", details}}.dump();
}

void MetricsRefresher::RefreshPools() {
  if (database_ != nullptr) {
    const PoolStats stats = database_->pool_stats();
    const MetricLabels labels = {{"provider_name", "default"},
                                 {"database_type", std::string(database_->provider())}};
    metrics_.GetGauge("protean_db_pool_size", labels)->Set(double(stats.size));
    metrics_.GetGauge("protean_db_pool_checked_out", labels)->Set(double(stats.checked_out));
    metrics_.GetGauge("protean_db_pool_overflow", labels)->Set(double(stats.overflow));
    metrics_.GetGauge("protean_db_pool_checked_in", labels)->Set(double(stats.checked_in));
  }
  if (broker_ != nullptr) {
    if (std::optional<int64_t> open = broker_->PoolConnections()) {
      metrics_.GetGauge("protean_broker_pool_active_connections", {{"broker_name", "default"}})
          ->Set(double(*open));
    }
  }
}

}  // namespace protean::cli
