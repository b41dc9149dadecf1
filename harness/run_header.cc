#include "harness/run_header.h"

#include "harness/declared_policy.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

using nlohmann::ordered_json;

const char* BackoffName(BackoffKind k) {
  switch (k) {
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
ordered_json Opt(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json SubscriptionJson(const HandlerRegistration& h, const SubscriptionConfig& c) {
  ordered_json j;
  j["type"] = c.type == SubscriptionType::kStream ? "stream" : "event_store";
  j["stream"] = h.stream;
  j["max_retries"] = c.max_retries;
  j["retry_delay_seconds"] = c.retry_delay_seconds;
  j["retry_backoff"] = BackoffName(c.retry_backoff);
  j["retry_backoff_max_seconds"] = c.retry_backoff_max_seconds;
  j["retry_jitter"] = c.retry_jitter;
  j["enable_dlq"] = c.enable_dlq;
  j["handler_timeout_seconds"] = Opt(c.handler_timeout_seconds);
  j["claim_idle_seconds"] = c.claim_idle_seconds;
  j["position_update_interval"] = c.position_update_interval;
  j["messages_per_tick"] = c.messages_per_tick;
  j["dlq_retention_hours"] = Opt(c.dlq_retention_hours);
  j["dlq_alert_threshold"] = Opt(c.dlq_alert_threshold);
  j["consumer_group_size"] = Opt(c.consumer_group_size);
  j["profile"] = c.profile;
  return j;
}

// Every instance that may run: the initial ones, then one per add_worker.
ordered_json InstancesJson(const Scenario& s) {
  ordered_json instances = ordered_json::object();
  int64_t total = s.instances;
  for (const auto& f : s.faults) total += f->adds_instance() ? 1 : 0;
  for (int64_t i = 0; i < total; ++i) {
    ordered_json part = nullptr;
    if (s.partition_event_store && i < s.instances) part = {{"member", i}, {"size", s.instances}};
    instances["w" + std::to_string(i)] = {{"partition", part}};
  }
  return instances;
}

}  // namespace

ordered_json RunHeader(const Scenario& s, const std::string& mode, uint64_t seed,
                       const World& world) {
  ordered_json subs = ordered_json::object();
  for (const ResolvedHandler& h : world.handlers()) {
    subs[h.handler->name] = SubscriptionJson(*h.handler, h.config);
  }
  const config::DomainConfig& dc = world.domain().config();
  ordered_json header;
  header["history"] = 1;
  header["scenario"] = s.id();
  header["file"] = s.file.string();
  header["seed"] = seed;
  header["mode"] = mode;
  header["start_us"] = ToMicros(world.start());
  header["drain_timeout_us"] = dc.server.drain_timeout.count();
  header["dlq"] = {{"enabled", dc.server.dlq.enabled},
                   {"retention_hours", dc.server.dlq.retention_hours},
                   {"alert_threshold", dc.server.dlq.alert_threshold},
                   {"check_interval_seconds", dc.server.dlq.check_interval_seconds}};
  header["subscriptions"] = subs;
  header["phases"] = {{"heal_at_us", s.heal_at_ms * 1000},
                      {"converge_within_us", s.converge_within_ms * 1000}};
  header["expect"] = s.expect;
  header["declared"] = DeclaredPolicyJson(s);
  header["instances"] = InstancesJson(s);
  return header;
}

}  // namespace protean::harness
