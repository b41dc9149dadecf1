#include "core/engine/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/engine/metric_catalogue.h"

#include "core/status.h"

namespace protean {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<int64_t>[bounds_.size()]) {
  for (size_t i = 0; i < bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (v <= bounds_[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

int64_t Histogram::cumulative(size_t i) const {
  int64_t total = 0;
  for (size_t j = 0; j <= i && j < bounds_.size(); ++j) {
    total += buckets_[j].load(std::memory_order_relaxed);
  }
  return total;
}

std::string RenderLabels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
  }
  out += '}';
  return out;
}

MetricsRegistry::Series& MetricsRegistry::GetSeries(std::string_view name, Type type,
                                                    const MetricLabels& labels) {
  auto fit = families_.find(name);
  if (fit == families_.end()) fit = families_.emplace(std::string(name), Family{type, {}}).first;
  PROTEAN_CHECK(fit->second.type == type);  // one name, one type
  return fit->second.series[RenderLabels(labels)];
}

Counter* MetricsRegistry::GetCounter(std::string_view name, const MetricLabels& labels) {
  MutexLock lock(&mu_);
  Series& s = GetSeries(name, Type::kCounter, labels);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return s.counter.get();
}

Gauge* MetricsRegistry::GetGauge(std::string_view name, const MetricLabels& labels) {
  MutexLock lock(&mu_);
  Series& s = GetSeries(name, Type::kGauge, labels);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return s.gauge.get();
}

Histogram* MetricsRegistry::GetHistogram(std::string_view name, const MetricLabels& labels) {
  MutexLock lock(&mu_);
  Series& s = GetSeries(name, Type::kHistogram, labels);
  if (!s.histogram) {
    s.histogram = std::make_unique<Histogram>(
        std::vector<double>(kDurationBucketsSeconds.begin(), kDurationBucketsSeconds.end()));
  }
  return s.histogram.get();
}

double MetricsRegistry::Value(std::string_view name, const MetricLabels& labels) const {
  MutexLock lock(&mu_);
  auto fit = families_.find(name);
  if (fit == families_.end()) return 0;
  auto sit = fit->second.series.find(RenderLabels(labels));
  if (sit == fit->second.series.end()) return 0;
  if (sit->second.counter) return static_cast<double>(sit->second.counter->value());
  if (sit->second.gauge) return sit->second.gauge->value();
  if (sit->second.histogram) return static_cast<double>(sit->second.histogram->count());
  return 0;
}

namespace {

// The shortest text that reads back as `v` (0.005, never
// 0.0050000000000000001), and Prometheus's spellings of the non-finite.
std::string Num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  PROTEAN_CHECK(ec == std::errc());
  return std::string(buf, end);
}

std::string HelpOf(std::string_view name) {
  const MetricInfo* info = FindMetricInfo(name);
  if (info != nullptr) return std::string(info->help);
  std::string help(name);  // not catalogued: the name in words
  for (char& c : help) c = c == '_' ? ' ' : c;
  return help;
}

// Inserts `extra` (e.g. le="0.5") into a rendered label set.
std::string WithLabel(const std::string& rendered, const std::string& extra) {
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

std::string MetricsRegistry::RenderPrometheus() const {
  MutexLock lock(&mu_);
  std::string out;
  for (const auto& [registry_name, family] : families_) {
    const char* type = family.type == Type::kCounter ? "counter"
                       : family.type == Type::kGauge ? "gauge"
                                                     : "histogram";
    const MetricKind kind = family.type == Type::kCounter ? MetricKind::kCounter
                            : family.type == Type::kGauge ? MetricKind::kGauge
                                                          : MetricKind::kHistogram;
    const std::string name = ExposedMetricName(registry_name, kind);
    out += "# HELP " + name + " " + HelpOf(registry_name) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, s] : family.series) {
      if (s.counter) out += name + labels + " " + std::to_string(s.counter->value()) + "\n";
      if (s.gauge) out += name + labels + " " + Num(s.gauge->value()) + "\n";
      if (s.histogram) {
        const Histogram& h = *s.histogram;
        for (size_t i = 0; i < h.bounds().size(); ++i) {
          out += name + "_bucket" + WithLabel(labels, "le=\"" + Num(h.bounds()[i]) + "\"") + " " +
                 std::to_string(h.cumulative(i)) + "\n";
        }
        out += name + "_bucket" + WithLabel(labels, "le=\"+Inf\"") + " " +
               std::to_string(h.count()) + "\n";
        out += name + "_sum" + labels + " " + Num(h.sum()) + "\n";
        out += name + "_count" + labels + " " + std::to_string(h.count()) + "\n";
      }
    }
  }
  return out;
}

}  // namespace protean
