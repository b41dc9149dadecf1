#include "app/history/header_json.h"

#include <optional>

#include <nlohmann/json.hpp>

namespace protean {
namespace {

const char* BackoffName(BackoffKind kind) {
  switch (kind) {
    case BackoffKind::kFixed:
      return "fixed";
    case BackoffKind::kLinear:
      return "linear";
    case BackoffKind::kExponential:
      return "exponential";
  }
  return "fixed";
}

template <typename T>
nlohmann::ordered_json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json SubscriptionJson(const HandlerRegistration& handler,
                                        const SubscriptionConfig& config) {
  nlohmann::ordered_json j;
  j["type"] = config.type == SubscriptionType::kStream ? "stream" : "event_store";
  j["stream"] = handler.stream;
  j["max_retries"] = config.max_retries;
  j["retry_delay_seconds"] = config.retry_delay_seconds;
  j["retry_backoff"] = BackoffName(config.retry_backoff);
  j["retry_backoff_max_seconds"] = config.retry_backoff_max_seconds;
  j["retry_jitter"] = config.retry_jitter;
  j["enable_dlq"] = config.enable_dlq;
  j["handler_timeout_seconds"] = OrNull(config.handler_timeout_seconds);
  j["claim_idle_seconds"] = config.claim_idle_seconds;
  j["position_update_interval"] = config.position_update_interval;
  j["messages_per_tick"] = config.messages_per_tick;
  j["dlq_retention_hours"] = OrNull(config.dlq_retention_hours);
  j["dlq_alert_threshold"] = OrNull(config.dlq_alert_threshold);
  j["consumer_group_member"] = OrNull(config.consumer_group_member);
  j["consumer_group_size"] = OrNull(config.consumer_group_size);
  if (config.type == SubscriptionType::kEventStore) {
    j["enable_recovery"] = config.enable_recovery;
    j["recovery_interval_seconds"] = config.recovery_interval_seconds;
    j["recovery_max_retries"] = config.recovery_max_retries;
    j["recovery_retry_delay_seconds"] = config.recovery_retry_delay_seconds;
  }
  j["profile"] = config.profile;
  return j;
}

nlohmann::ordered_json DlqJson(const config::DlqConfig& dlq) {
  return {{"enabled", dlq.enabled},
          {"retention_hours", dlq.retention_hours},
          {"alert_threshold", dlq.alert_threshold},
          {"check_interval_seconds", dlq.check_interval_seconds}};
}

}  // namespace protean
