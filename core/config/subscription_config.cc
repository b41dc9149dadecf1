#include "core/config/subscription_config.h"

#include <cctype>
#include <set>
#include <sstream>

#include "core/config/bounds.h"
#include "core/config/subscription_resolver.h"

namespace protean {

SubscriptionConfig DefaultSubscriptionConfig() { return SubscriptionConfig{}; }

namespace {

struct Profile {
  const char* name;
  SubscriptionType type;
  int64_t mpt;
  double tick;
  int64_t block_ms;
  int64_t retries;
  double delay;
  bool dlq;
  int64_t pos;
  std::optional<int64_t> maxlen;
};

// Protean's values (ARCHITECTURE.md, "Reference values"). Breaker 10/60 for all.
const Profile kProfiles[] = {
    {"PRODUCTION", SubscriptionType::kStream, 100, 0, 5000, 3, 1, true, 10, 100000},
    {"FAST", SubscriptionType::kStream, 10, 0, 100, 2, 0, true, 5, 100000},
    {"BATCH", SubscriptionType::kStream, 500, 0, 10000, 5, 2, true, 50, 500000},
    {"DEBUG", SubscriptionType::kStream, 1, 1, 1000, 1, 0, false, 1, 1000},
    {"PROJECTION", SubscriptionType::kEventStore, 100, 0, 5000, 3, 1, false, 10, std::nullopt},
};

std::string TypeName(const ConfigValue& v) {
  switch (v.index()) {
    case 0:
      return "a boolean";
    case 1:
      return "an integer";
    case 2:
      return "a float";
    default:
      return "a string";
  }
}

std::string Show(const ConfigValue& v) {
  std::ostringstream out;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out << '"' << x << '"';
        } else if constexpr (std::is_same_v<T, bool>) {
          out << (x ? "true" : "false");
        } else {
          out << x;
        }
      },
      v);
  return out.str();
}

}  // namespace

const std::vector<std::string>& BuiltInProfileNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& p : kProfiles) n.emplace_back(p.name);
    return n;
  }();
  return names;
}

std::string ProfileKey(const std::string& name) {
  std::string key = name;
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

bool IsBuiltInProfile(const std::string& name) {
  for (const auto& p : kProfiles) {
    if (ProfileKey(name) == ProfileKey(p.name)) return true;
  }
  return false;
}

ConfigLayer BuiltInProfileLayer(const std::string& name) {
  for (const auto& p : kProfiles) {
    if (ProfileKey(name) != ProfileKey(p.name)) continue;
    const std::string src = "profile " + name;
    std::map<std::string, ConfigValue> v = {
        {"subscription_type",
         std::string(p.type == SubscriptionType::kStream ? "stream" : "event_store")},
        {"messages_per_tick", p.mpt},
        {"tick_interval", p.tick},
        {"blocking_timeout_ms", p.block_ms},
        {"max_retries", p.retries},
        {"retry_delay_seconds", p.delay},
        {"enable_dlq", p.dlq},
        {"position_update_interval", p.pos},
        {"circuit_breaker_threshold", int64_t{10}},
        {"circuit_breaker_reset_seconds", 60.0},
    };
    if (p.maxlen) v["retention_maxlen"] = *p.maxlen;
    return MakeLayer(src, src, v);
  }
  return {};
}

ConfigLayer MakeLayer(const std::string& source, const std::string& prefix,
                      const std::map<std::string, ConfigValue>& values) {
  ConfigLayer layer;
  for (const auto& [key, value] : values) {
    layer.push_back(ConfigEntry{key, value, ConfigOrigin{source, prefix + "." + key, 0, 0}});
  }
  return layer;
}

// --- applying a layer -------------------------------------------------------

namespace {

[[noreturn]] void Invalid(const ConfigEntry& e, const std::string& what) {
  ThrowSubscriptionConfigError(e.origin, what + ", got " + Show(e.value));
}

int64_t AsInt(const ConfigEntry& e) {
  if (const auto* i = std::get_if<int64_t>(&e.value)) return *i;
  Invalid(e, "expected an integer, not " + TypeName(e.value));
}

double AsDouble(const ConfigEntry& e) {
  if (const auto* i = std::get_if<int64_t>(&e.value)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&e.value)) return *d;
  Invalid(e, "expected a number, not " + TypeName(e.value));
}

bool AsBool(const ConfigEntry& e) {
  if (const auto* b = std::get_if<bool>(&e.value)) return *b;
  Invalid(e, "expected a boolean, not " + TypeName(e.value));
}

std::string AsString(const ConfigEntry& e) {
  if (const auto* s = std::get_if<std::string>(&e.value)) return *s;
  Invalid(e, "expected a string, not " + TypeName(e.value));
}

}  // namespace

SubscriptionType ParseSubscriptionType(const ConfigEntry& e) {
  const std::string s = AsString(e);
  if (s == "stream") return SubscriptionType::kStream;
  if (s == "event_store") return SubscriptionType::kEventStore;
  // Protean falls back to event_store with a warning; a typo here silently
  // changes delivery semantics, so it is an error.
  Invalid(e, "expected \"stream\" or \"event_store\"");
}

namespace {

// The range of every subscription setting (docs/configuration.md gives the
// reasons); checked on each entry as it is applied, so a bad value fails
// wherever it is written (a profile, [server.*], a handler table) even when a
// higher level overrides it.
constexpr config::CountBounds kMessagesPerTick{1, 100000};
constexpr config::DurationBounds kTickInterval{0, 86400, true};
constexpr config::CountBounds kBlockingTimeoutMs{0, 3'600'000};
constexpr config::CountBounds kMaxRetries{0, 1'000'000};
constexpr config::DurationBounds kRetryDelay{0, 1e6, true};
constexpr config::CountBounds kPositionUpdateInterval{1, 1'000'000};
constexpr config::DurationBounds kDlqRetentionHours{0, 100000};
constexpr config::CountBounds kDlqAlertThreshold{1, config::kCountMax};
constexpr config::CountBounds kCircuitBreakerThreshold{1, 1'000'000};
constexpr config::DurationBounds kCircuitBreakerReset{0, 1e6};
constexpr config::CountBounds kRetentionMaxlen{1, config::kCountMax};
constexpr config::DurationBounds kHandlerTimeout{0.001, 1e6, false,
                                                 "a budget below 1 ms cannot be timed"};
constexpr config::DurationBounds kClaimIdle{
    0.1, 1e6, false,
    "holders heartbeat every claim_idle_seconds / 4 and the claim pass runs every / 2; "
    "shorter would run them back to back"};
constexpr config::CountBounds kGroupMember{0, 1023};
constexpr config::CountBounds kGroupSize{1, 1024};
constexpr config::CountBounds kConcurrency{1, kConcurrencyMax};
// recovery_interval_seconds: > 0 (Protean: the minimum time between passes,
// event_store_subscription.py:1140-1141; 0 would mean every poll).
constexpr config::DurationBounds kRecoveryInterval{0, 1e6};

int64_t IntIn(const ConfigEntry& e, const config::CountBounds& bounds) {
  const int64_t v = AsInt(e);
  if (std::optional<std::string> problem = config::CountProblem(v, bounds)) Invalid(e, *problem);
  return v;
}

double SecondsIn(const ConfigEntry& e, const config::DurationBounds& bounds) {
  const double v = AsDouble(e);
  if (std::optional<std::string> problem = config::DurationProblem(v, bounds)) Invalid(e, *problem);
  return v;
}

BackoffKind ParseBackoff(const ConfigEntry& e) {
  const std::string s = AsString(e);
  if (s == "fixed") return BackoffKind::kFixed;
  if (s == "linear") return BackoffKind::kLinear;
  if (s == "exponential") return BackoffKind::kExponential;
  Invalid(e, "expected \"fixed\", \"linear\" or \"exponential\"");
}

double Fraction(const ConfigEntry& e) {
  const double v = AsDouble(e);
  if (!(v >= 0 && v <= 1)) Invalid(e, "expected a number in [0, 1]");
  return v;
}

std::string NonEmpty(const ConfigEntry& e, const char* what = "expected a non-empty stream name") {
  std::string s = AsString(e);
  if (s.empty()) Invalid(e, what);
  return s;
}

// Applies the numeric settings; false when `k` is none of them.
bool ApplyNumber(SubscriptionConfig& c, const ConfigEntry& e) {
  const std::string& k = e.key;
  if (k == "messages_per_tick") {
    c.messages_per_tick = IntIn(e, kMessagesPerTick);
  } else if (k == "tick_interval") {
    c.tick_interval_seconds = SecondsIn(e, kTickInterval);
  } else if (k == "blocking_timeout_ms") {
    c.blocking_timeout_ms = IntIn(e, kBlockingTimeoutMs);
  } else if (k == "max_retries") {
    c.max_retries = IntIn(e, kMaxRetries);
  } else if (k == "retry_delay_seconds") {
    c.retry_delay_seconds = SecondsIn(e, kRetryDelay);
  } else if (k == "retry_backoff_max_seconds") {
    c.retry_backoff_max_seconds = SecondsIn(e, kRetryDelay);
  } else if (k == "retry_jitter") {
    c.retry_jitter = Fraction(e);
  } else if (k == "position_update_interval") {
    c.position_update_interval = IntIn(e, kPositionUpdateInterval);
  } else if (k == "dlq_retention_hours") {
    c.dlq_retention_hours = SecondsIn(e, kDlqRetentionHours);
  } else if (k == "dlq_alert_threshold") {
    c.dlq_alert_threshold = IntIn(e, kDlqAlertThreshold);
  } else if (k == "circuit_breaker_threshold") {
    c.circuit_breaker_threshold = IntIn(e, kCircuitBreakerThreshold);
  } else if (k == "circuit_breaker_reset_seconds") {
    c.circuit_breaker_reset_seconds = SecondsIn(e, kCircuitBreakerReset);
  } else if (k == "retention_maxlen") {
    c.retention_maxlen = IntIn(e, kRetentionMaxlen);
  } else if (k == "handler_timeout_seconds") {
    c.handler_timeout_seconds = SecondsIn(e, kHandlerTimeout);
  } else if (k == "claim_idle_seconds") {
    c.claim_idle_seconds = SecondsIn(e, kClaimIdle);
  } else if (k == "consumer_group_member") {
    c.consumer_group_member = IntIn(e, kGroupMember);
  } else if (k == "consumer_group_size") {
    c.consumer_group_size = IntIn(e, kGroupSize);
  } else if (k == "concurrency") {
    c.concurrency = IntIn(e, kConcurrency);
  } else if (k == "recovery_interval_seconds") {
    c.recovery_interval_seconds = SecondsIn(e, kRecoveryInterval);
  } else if (k == "recovery_max_retries") {
    c.recovery_max_retries = IntIn(e, kMaxRetries);
  } else if (k == "recovery_retry_delay_seconds") {
    c.recovery_retry_delay_seconds = SecondsIn(e, kRetryDelay);
  } else {
    return false;
  }
  return true;
}

}  // namespace

void ApplyEntry(SubscriptionConfig& c, const ConfigEntry& e, AppliedKeys& applied) {
  const std::string& k = e.key;
  if (k == "subscription_type") {
    c.type = ParseSubscriptionType(e);
  } else if (k == "retry_backoff") {
    c.retry_backoff = ParseBackoff(e);
  } else if (k == "enable_dlq") {
    c.enable_dlq = AsBool(e);
  } else if (k == "enable_recovery") {
    c.enable_recovery = AsBool(e);
  } else if (k == "origin_stream" || k == "source_stream") {
    c.origin_stream = NonEmpty(e);
  } else if (k == "ordered_by") {
    c.ordered_by = NonEmpty(e, "expected the payload key to order by");
  } else if (!ApplyNumber(c, e)) {
    ThrowSubscriptionConfigError(e.origin, "unknown subscription setting '" + k + "'");
  }
  const std::string key = (k == "source_stream") ? "origin_stream" : k;
  applied[key] = e;
}

namespace {

const ConfigEntry* Find(const AppliedKeys& applied, const std::string& key) {
  auto it = applied.find(key);
  return it == applied.end() ? nullptr : &it->second;
}

void Require(bool ok, const AppliedKeys& applied, const std::string& key, const std::string& what,
             const std::string& handler) {
  if (ok) return;
  if (const ConfigEntry* e = Find(applied, key)) Invalid(*e, what);
  ThrowSubscriptionConfigError(ConfigOrigin{"handler " + handler, key, 0, 0}, what);
}

}  // namespace

void ValidateSubscriptionConfig(SubscriptionConfig& c, const AppliedKeys& applied,
                                const std::set<std::string>& explicit_keys,
                                const std::string& handler) {
  auto req = [&](bool ok, const char* key, const std::string& what) {
    Require(ok, applied, key, what, handler);
  };
  // Ranges are checked per entry (ApplyEntry); what is left are combinations.
  if (c.type == SubscriptionType::kEventStore) {
    // No DLQ and no stream retention on an event-store subscription: inherited
    // values are dropped, values the user set for this handler are errors.
    for (const char* key :
         {"enable_dlq", "retention_maxlen", "dlq_retention_hours", "dlq_alert_threshold"}) {
      const bool set_on = key == std::string("enable_dlq") ? c.enable_dlq : true;
      if (explicit_keys.count(key) && set_on && Find(applied, key)) {
        Invalid(*Find(applied, key), "is not allowed on an event_store subscription");
      }
    }
    c.enable_dlq = false;
    c.retention_maxlen.reset();
    c.dlq_retention_hours.reset();
    c.dlq_alert_threshold.reset();
    const bool has_member = c.consumer_group_member.has_value();
    const bool has_size = c.consumer_group_size.has_value();
    req(has_member == has_size, has_member ? "consumer_group_member" : "consumer_group_size",
        "consumer_group_member and consumer_group_size must be given together");
    if (has_size) {
      req(*c.consumer_group_size >= 1, "consumer_group_size", "must be >= 1");
      req(*c.consumer_group_member >= 0 && *c.consumer_group_member < *c.consumer_group_size,
          "consumer_group_member", "must be >= 0 and < consumer_group_size");
    }
  } else {
    req(!c.consumer_group_member && !c.consumer_group_size, "consumer_group_size",
        "consumer groups apply to event_store subscriptions only");
    // The recovery pass is the event store's; set for a stream handler it
    // would do nothing (server-wide values apply to event_store ones only).
    for (const char* key : {"enable_recovery", "recovery_interval_seconds", "recovery_max_retries",
                            "recovery_retry_delay_seconds"}) {
      if (explicit_keys.count(key) && Find(applied, key)) {
        Invalid(*Find(applied, key), "applies to event_store subscriptions only");
      }
    }
  }
}

}  // namespace protean
