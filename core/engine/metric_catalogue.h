#pragma once
// What each metric family means: its # HELP text and the unit its exposed
// name carries. Names follow Protean's OpenTelemetry instruments as the
// Prometheus exporter writes them (utils/telemetry.py,
// server/observatory/metrics.py): dots become underscores, a counter gets
// `_total`, a histogram in seconds gets `_seconds`.
//
//   registry name                              exposed as
//   protean_subscription_messages_processed    protean_subscription_messages_processed_total
//   protean_subscription_processing_duration   protean_subscription_processing_duration_seconds
//   protean_engine_uptime_seconds (gauge)      protean_engine_uptime_seconds

#include <string>
#include <string_view>

namespace protean {

struct MetricInfo {
  std::string_view name;  // the registry's name (no _total / unit suffix)
  std::string_view help;
  std::string_view unit;  // "seconds" or "" (a count)
};

// The catalogue entry of a registry name; null for a name it lacks.
const MetricInfo* FindMetricInfo(std::string_view name);

enum class MetricKind { kCounter, kGauge, kHistogram };

// The family name in the exposition: + "_<unit>" unless it ends so already,
// + "_total" for a counter.
std::string ExposedMetricName(std::string_view name, MetricKind kind);

}  // namespace protean
