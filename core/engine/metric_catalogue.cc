#include "core/engine/metric_catalogue.h"

#include <array>

namespace protean {
namespace {

constexpr std::array<MetricInfo, 31> kCatalogue = {{
    {"protean_subscription_messages_processed", "Messages processed by subscriptions", ""},
    {"protean_subscription_dlq_routed", "Messages routed to dead letter queue", ""},
    {"protean_subscription_retries", "Message retry attempts", ""},
    {"protean_subscription_dropped",
     "Messages acked without handling: attempts exhausted with enable_dlq = false", ""},
    {"protean_subscription_claimed", "Pending messages claimed from idle consumers", ""},
    {"protean_subscription_exhausted",
     "Event-store messages whose attempts ran out (recorded as failures)", ""},
    {"protean_subscription_errors", "Failed adapter calls of a subscription, by operation", ""},
    {"protean_subscription_processing_duration",
     "Per-message processing duration in a subscription", "seconds"},
    {"protean_subscription_consumer_lag", "Messages behind stream head", ""},
    {"protean_subscription_pending_messages", "Unacknowledged messages", ""},
    {"protean_subscription_dlq_depth", "Dead letter queue depth", ""},
    {"protean_subscription_status", "Subscription health (1=ok, 0=not ok)", ""},
    {"protean_subscription_circuit_breaker_state", "Subscription circuit breaker state transitions",
     ""},
    {"protean_subscription_circuit_state",
     "Subscription circuit breaker state (1 for the current one: closed, open or half_open)", ""},
    {"protean_command_expired", "Commands skipped because their deadline passed", ""},
    {"protean_dlq_trimmed", "DLQ messages trimmed by retention policy", ""},
    {"protean_dlq_alerts", "DLQ depth threshold alerts fired", ""},
    {"protean_dlq_alert_callback_failures", "DLQ alert callbacks that failed", ""},
    {"protean_engine_up", "1 when engine is running, 0 when shutting down", ""},
    {"protean_engine_uptime_seconds", "Engine uptime in seconds", "seconds"},
    {"protean_engine_active_subscriptions", "Number of active subscriptions", ""},
    {"protean_engine_errors", "Failed adapter calls of the engine, by operation", ""},
    {"protean_engine_draining", "1 while a drain (POST /drainz or a signal) is under way", ""},
    {"protean_db_pool_size", "Database connection pool size", ""},
    {"protean_db_pool_checked_out", "Database connections in use", ""},
    {"protean_db_pool_overflow", "Overflow database connections", ""},
    {"protean_db_pool_checked_in", "Available database connections", ""},
    {"protean_broker_pool_active_connections", "Active broker pool connections", ""},
    {"protean_metrics_refresh_duration", "Duration of the last background gauge refresh",
     "seconds"},
    {"protean_metrics_refresh_failures", "Background gauge refreshes that met an adapter error",
     ""},
    {"protean_http_rate_limited", "Admin requests refused with 429, by route", ""},
}};

}  // namespace

const MetricInfo* FindMetricInfo(std::string_view name) {
  for (const MetricInfo& info : kCatalogue) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string ExposedMetricName(std::string_view name, MetricKind kind) {
  std::string out(name);
  const MetricInfo* info = FindMetricInfo(name);
  if (info != nullptr && !info->unit.empty()) {
    const std::string suffix = "_" + std::string(info->unit);
    if (!out.ends_with(suffix)) out += suffix;
  }
  if (kind == MetricKind::kCounter && !out.ends_with("_total")) out += "_total";
  return out;
}

}  // namespace protean
