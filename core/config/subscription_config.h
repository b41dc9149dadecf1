#pragma once
// SubscriptionConfig: every knob of one handler's subscription, resolved in
// Protean's order (lowest first; a level only sets the keys it names):
//   1. hard defaults (DefaultSubscriptionConfig)
//   2. server.default_subscription_profile (only when no higher level names a profile)
//   3. server settings: default_subscription_type, messages_per_tick,
//      tick_interval, [server.stream_subscription], [server.event_store_subscription]
//   4. [server.subscriptions.<Handler>]: its profile, then its explicit keys
//   5. the handler registration's profile
//   6. the handler registration's explicit keys
// Profiles PRODUCTION, FAST, BATCH, DEBUG, PROJECTION carry Protean's values;
// [server.profiles.NAME] defines a custom profile inheriting a built-in one.
// Unlike Protean, nothing is merged in that the file did not say, so a
// default profile is never shadowed by stock server values.
//
// Every value keeps where it came from, so an invalid one is reported as a
// ConfigurationError naming the file, the key path and line:column.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/config/config_value.h"
#include "core/time.h"

namespace protean {

enum class SubscriptionType { kStream, kEventStore };
enum class BackoffKind { kFixed, kLinear, kExponential };

struct SubscriptionConfig {
  SubscriptionType type = SubscriptionType::kStream;
  int64_t messages_per_tick = 10;
  double tick_interval_seconds = 0;
  int64_t blocking_timeout_ms = 5000;
  // Protean counts attempts: with 3 the handler runs at most 3 times.
  int64_t max_retries = 3;
  double retry_delay_seconds = 1;
  BackoffKind retry_backoff = BackoffKind::kFixed;
  double retry_backoff_max_seconds = 60;
  double retry_jitter = 0;  // fraction of the delay, 0..1, drawn from the seeded PRNG
  bool enable_dlq = true;
  int64_t position_update_interval = 10;
  std::optional<std::string> origin_stream;
  std::optional<double> dlq_retention_hours;
  std::optional<int64_t> dlq_alert_threshold;
  int64_t circuit_breaker_threshold = 10;
  double circuit_breaker_reset_seconds = 60;
  std::optional<int64_t> retention_maxlen;
  // SLA budget of one attempt; past it the attempt counts as failed.
  std::optional<double> handler_timeout_seconds;
  // Pending entries idle longer than this are claimed from dead consumers.
  double claim_idle_seconds = 60;
  // Stream subscriptions: up to this many attempts at once, on worker
  // threads (Protean's behaviour is 1: one message at a time).
  int64_t concurrency = 1;
  // With concurrency > 1: messages whose payload has the same value at this
  // top-level key run one at a time and in order; others run in parallel.
  std::optional<std::string> ordered_by;
  // Event-store subscriptions: partition the category among `size` members.
  std::optional<int64_t> consumer_group_member;
  std::optional<int64_t> consumer_group_size;
  // Event-store subscriptions: Protean's recovery pass
  // ([server.event_store_subscription], event_store_subscription.py:177-200;
  // the keys max_retries and retry_delay_seconds there are read as
  // recovery_max_retries and recovery_retry_delay_seconds, since max_retries
  // of a subscription means attempts in place). With enable_recovery a failed
  // message is recorded in failed-{subscriber}-{category} before the position
  // moves on, and the pass retries it every recovery_interval_seconds, up to
  // recovery_max_retries times, each retry recovery_retry_delay_seconds after
  // the previous step; without it the message is retried in place
  // (max_retries, retry_delay_seconds, retry_backoff) and then recorded
  // `Exhausted` (docs/configuration.md, "Event-store recovery").
  bool enable_recovery = true;
  double recovery_interval_seconds = 30;
  int64_t recovery_max_retries = 3;
  double recovery_retry_delay_seconds = 1;
  // The profile that was applied last, for display ("" when none).
  std::string profile;
};

inline constexpr int64_t kConcurrencyMax = 256;

SubscriptionConfig DefaultSubscriptionConfig();

// Builds entries for C++ registrations: {"max_retries", int64_t{5}}.
ConfigLayer MakeLayer(const std::string& source, const std::string& prefix,
                      const std::map<std::string, ConfigValue>& values);

// The built-in profile names and their values as a layer. Profile names are
// case-insensitive, as in Protean ("production" is PRODUCTION; a custom
// profile "Bulk" is "bulk").
const std::vector<std::string>& BuiltInProfileNames();
bool IsBuiltInProfile(const std::string& name);
// The lookup key of a profile name: lower case.
std::string ProfileKey(const std::string& name);

}  // namespace protean
