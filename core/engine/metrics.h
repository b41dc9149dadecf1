#pragma once
// A metrics registry (counters, gauges, histograms) rendered as Prometheus
// text with Protean's metric names (dots become underscores). The registry
// name has no suffix; the exposition adds `_total` to counters and the unit
// to durations, with a # HELP and # TYPE line per family
// (metric_catalogue.h lists every family and its help):
//   protean_subscription_messages_processed_total{subscription,handler,stream,status}
//   protean_subscription_retries_total, protean_subscription_dlq_routed_total,
//   protean_subscription_processing_duration_seconds (histogram),
//   protean_subscription_consumer_lag, _pending_messages, _dlq_depth, _status
//   (gauges, app/server/metrics_refresher.h), protean_dlq_trimmed_total{dlq_stream},
//   protean_engine_up, protean_engine_uptime_seconds, protean_db_pool_* gauges.
// Numbers are printed in their shortest exact form (0.005, 1e-06).
//
// Thread-safety: creating or looking up a metric takes a mutex; updating one
// through its handle is a relaxed atomic, so the engine caches handles and
// the hot path never locks. Handles live as long as the registry.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mutex.h"

namespace protean {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Histogram buckets for handler durations, seconds (5 ms .. 60 s).
inline constexpr std::array<double, 15> kDurationBucketsSeconds = {
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60};

class Counter {
 public:
  void Inc(int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  int64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count of observations <= bounds()[i].
  int64_t cumulative(size_t i) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<int64_t>[]> buckets_;
  std::atomic<int64_t> count_{0};
  std::atomic<double> sum_{0};
};

class MetricsRegistry {
 public:
  Counter* GetCounter(std::string_view name, const MetricLabels& labels = {});
  Gauge* GetGauge(std::string_view name, const MetricLabels& labels = {});
  // Buckets: kDurationBucketsSeconds.
  Histogram* GetHistogram(std::string_view name, const MetricLabels& labels = {});

  // Current value of a counter or gauge; 0 when it does not exist (tests, checks).
  double Value(std::string_view name, const MetricLabels& labels = {}) const;
  // The Prometheus text exposition format (version 0.0.4).
  std::string RenderPrometheus() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    Type type;
    std::map<std::string, Series> series;  // key: rendered label set
  };
  Series& GetSeries(std::string_view name, Type type, const MetricLabels& labels)
      PROTEAN_REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<std::string, Family, std::less<>> families_ PROTEAN_GUARDED_BY(mu_);
};

// "{a=\"x\",b=\"y\"}" with Prometheus escaping; "" for no labels.
std::string RenderLabels(const MetricLabels& labels);

}  // namespace protean
