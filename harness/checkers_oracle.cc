// The checkers' second implementation of the declared policy: see
// checkers_oracle.h for why it deliberately duplicates engine rules.

#include "harness/checkers_oracle.h"

#include <algorithm>
#include <cmath>

namespace protean::harness::internal {
namespace {

using nlohmann::ordered_json;

const ordered_json* Child(const ordered_json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::optional<double> Number(const ordered_json& j) {
  if (!j.is_number()) return std::nullopt;
  return j.get<double>();
}

// Protean's profiles (ARCHITECTURE.md, "Reference values"), as layers.
ordered_json BuiltInProfile(const std::string& name) {
  struct Row {
    const char* name;
    const char* type;
    int64_t mpt;
    double tick;
    int64_t retries;
    double delay;
    bool dlq;
    int64_t position_every;
  };
  static const Row kRows[] = {
      {"PRODUCTION", "stream", 100, 0, 3, 1, true, 10},
      {"FAST", "stream", 10, 0, 2, 0, true, 5},
      {"BATCH", "stream", 500, 0, 5, 2, true, 50},
      {"DEBUG", "stream", 1, 1, 1, 0, false, 1},
      {"PROJECTION", "event_store", 100, 0, 3, 1, false, 10},
  };
  for (const Row& r : kRows) {
    if (name != r.name) continue;
    return {{"subscription_type", r.type},
            {"messages_per_tick", r.mpt},
            {"tick_interval", r.tick},
            {"max_retries", r.retries},
            {"retry_delay_seconds", r.delay},
            {"enable_dlq", r.dlq},
            {"position_update_interval", r.position_every},
            {"circuit_breaker_threshold", 10},
            {"circuit_breaker_reset_seconds", 60}};
  }
  return nullptr;
}

// A profile's layer: built-in, or [server.profiles.NAME] over the built-in
// one it inherits.
ordered_json ProfileLayer(const ordered_json& server, const std::string& name) {
  ordered_json builtin = BuiltInProfile(name);
  if (!builtin.is_null()) return builtin;
  const ordered_json* profiles = Child(server, "profiles");
  const ordered_json* custom = profiles != nullptr ? Child(*profiles, name.c_str()) : nullptr;
  if (custom == nullptr || !custom->is_object()) return ordered_json::object();
  ordered_json layer = ordered_json::object();
  if (const ordered_json* parent = Child(*custom, "inherits"); parent && parent->is_string()) {
    ordered_json base = BuiltInProfile(parent->get<std::string>());
    if (base.is_object()) layer = base;
  }
  for (const auto& [k, v] : custom->items()) {
    if (k != "inherits") layer[k] = v;
  }
  return layer;
}

void Apply(SubPolicy& p, const ordered_json& layer) {
  if (!layer.is_object()) return;
  for (const auto& [k, v] : layer.items()) {
    const std::optional<double> n = Number(v);
    const bool integer = v.is_number_integer();
    if (k == "subscription_type" && v.is_string()) {
      p.event_store = v.get<std::string>() == "event_store";
    } else if (k == "messages_per_tick" && integer) {
      p.messages_per_tick = v.get<int64_t>();
    } else if (k == "tick_interval" && n) {
      p.tick_interval_seconds = *n;
    } else if (k == "max_retries" && integer) {
      p.max_retries = v.get<int64_t>();
    } else if (k == "retry_delay_seconds" && n) {
      p.retry_delay_seconds = *n;
    } else if (k == "retry_backoff" && v.is_string()) {
      const std::string s = v.get<std::string>();
      p.backoff = s == "linear"        ? Backoff::kLinear
                  : s == "exponential" ? Backoff::kExponential
                                       : Backoff::kFixed;
    } else if (k == "retry_backoff_max_seconds" && n) {
      p.backoff_max_seconds = *n;
    } else if (k == "retry_jitter" && n) {
      p.jitter = *n;
    } else if (k == "enable_dlq" && v.is_boolean()) {
      p.enable_dlq = v.get<bool>();
    } else if (k == "handler_timeout_seconds" && n) {
      p.handler_timeout_seconds = *n;
    } else if (k == "claim_idle_seconds" && n) {
      p.claim_idle_seconds = *n;
    } else if (k == "concurrency" && integer) {
      p.concurrency = v.get<int64_t>();
    } else if (k == "ordered_by" && v.is_string()) {
      p.ordered_by = v.get<std::string>();
    } else if (k == "position_update_interval" && integer) {
      p.position_update_interval = v.get<int64_t>();
    } else if (k == "dlq_retention_hours" && n) {
      p.dlq_retention_hours = *n;
    } else if (k == "dlq_alert_threshold" && integer) {
      p.dlq_alert_threshold = v.get<int64_t>();
    } else if (k == "circuit_breaker_threshold" && integer) {
      p.circuit_breaker_threshold = v.get<int64_t>();
    } else if (k == "circuit_breaker_reset_seconds" && n) {
      p.circuit_breaker_reset_seconds = *n;
    } else if (k == "enable_recovery" && v.is_boolean()) {
      p.enable_recovery = v.get<bool>();
    } else if (k == "recovery_interval_seconds" && n) {
      p.recovery_interval_seconds = *n;
    } else if (k == "recovery_max_retries" && integer) {
      p.recovery_max_retries = v.get<int64_t>();
    } else if (k == "recovery_retry_delay_seconds" && n) {
      p.recovery_retry_delay_seconds = *n;
    }
  }
}

std::string ProfileName(const ordered_json* table, std::initializer_list<const char*> keys) {
  if (table == nullptr) return "";
  for (const char* k : keys) {
    if (const ordered_json* v = Child(*table, k); v && v->is_string()) return v->get<std::string>();
  }
  return "";
}

}  // namespace

SubPolicy ResolveDeclared(const ordered_json& declared, const std::string& handler) {
  static const ordered_json kEmpty = ordered_json::object();
  const ordered_json* server_p = Child(declared, "server");
  const ordered_json& server = server_p != nullptr ? *server_p : kEmpty;
  const ordered_json* handlers = Child(declared, "handlers");
  const ordered_json* own = handlers != nullptr ? Child(*handlers, handler.c_str()) : nullptr;
  const ordered_json* subs = Child(server, "subscriptions");
  const ordered_json* table = subs != nullptr ? Child(*subs, handler.c_str()) : nullptr;

  SubPolicy p;  // level 1: the defaults of SubPolicy
  const std::string table_profile = ProfileName(table, {"profile", "subscription_profile"});
  const std::string own_profile = ProfileName(own, {"subscription_profile"});
  auto apply_profile = [&](const std::string& name) {
    Apply(p, ProfileLayer(server, name));
    p.profile = name;
  };
  // Level 2: the server's default profile, unless a higher level names one.
  const std::string default_profile = ProfileName(&server, {"default_subscription_profile"});
  if (!default_profile.empty() && table_profile.empty() && own_profile.empty()) {
    apply_profile(default_profile);
  }
  // Level 3: server-wide settings.
  ordered_json level3 = ordered_json::object();
  if (const ordered_json* t = Child(server, "default_subscription_type")) {
    level3["subscription_type"] = *t;
  }
  for (const char* k : {"messages_per_tick", "tick_interval"}) {
    if (const ordered_json* v = Child(server, k)) level3[k] = *v;
  }
  Apply(p, level3);
  if (const ordered_json* ss = Child(server, "stream_subscription")) Apply(p, *ss);
  if (const ordered_json* es = Child(server, "event_store_subscription")) {
    // Here max_retries and retry_delay_seconds are the recovery pass's
    // (event_store_subscription.py:181-190), not attempts in place.
    ordered_json layer = ordered_json::object();
    for (const auto& [k, v] : es->items()) {
      if (k == "max_retries") {
        layer["recovery_max_retries"] = v;
      } else if (k == "retry_delay_seconds") {
        layer["recovery_retry_delay_seconds"] = v;
      } else {
        layer[k] = v;
      }
    }
    Apply(p, layer);
  }
  // Level 4: [server.subscriptions.<handler>], its profile first.
  if (table != nullptr) {
    if (!table_profile.empty()) apply_profile(table_profile);
    Apply(p, *table);
  }
  // Levels 5 and 6: the handler's own profile, then its explicit keys.
  if (!own_profile.empty()) apply_profile(own_profile);
  if (own != nullptr) {
    if (const ordered_json* sc = Child(*own, "subscription_config")) Apply(p, *sc);
  }
  if (p.event_store) {
    // No DLQ on an event store: failures are recorded instead.
    p.enable_dlq = false;
    p.dlq_retention_hours.reset();
    p.dlq_alert_threshold.reset();
  }
  return p;
}

SubPolicy SubPolicyFromResolved(const ordered_json& j) {
  SubPolicy p;
  // A header written before the recovery pass has no enable_recovery: that
  // engine retried event-store failures in place.
  p.enable_recovery = false;
  ordered_json layer = ordered_json::object();
  for (const auto& [k, v] : j.items()) {
    if (v.is_null()) continue;
    if (k == "type") {
      layer["subscription_type"] = v;
    } else {
      layer[k] = v;
    }
  }
  Apply(p, layer);
  if (const ordered_json* prof = Child(j, "profile"); prof && prof->is_string()) {
    p.profile = prof->get<std::string>();
  }
  return p;
}

DlqPolicy DeclaredDlq(const ordered_json& declared) {
  DlqPolicy d;
  const ordered_json* server = Child(declared, "server");
  const ordered_json* dlq = server != nullptr ? Child(*server, "dlq") : nullptr;
  if (dlq == nullptr) return d;
  if (const ordered_json* v = Child(*dlq, "enabled"); v && v->is_boolean()) d.enabled = *v;
  if (const ordered_json* v = Child(*dlq, "retention_hours")) {
    d.retention_hours = Number(*v).value_or(d.retention_hours);
  }
  if (const ordered_json* v = Child(*dlq, "alert_threshold"); v && v->is_number_integer()) {
    d.alert_threshold = v->get<int64_t>();
  }
  if (const ordered_json* v = Child(*dlq, "check_interval_seconds")) {
    d.check_interval_seconds = Number(*v).value_or(d.check_interval_seconds);
  }
  return d;
}

LanesPolicy DeclaredLanes(const ordered_json& declared) {
  LanesPolicy l;
  const ordered_json* server = Child(declared, "server");
  const ordered_json* lanes = server != nullptr ? Child(*server, "priority_lanes") : nullptr;
  if (lanes == nullptr) return l;
  if (const ordered_json* v = Child(*lanes, "enabled"); v && v->is_boolean()) l.enabled = *v;
  if (const ordered_json* v = Child(*lanes, "backfill_suffix"); v && v->is_string()) {
    l.backfill_suffix = v->get<std::string>();
  }
  return l;
}

int64_t DeclaredDrainTimeoutUs(const ordered_json& declared) {
  const ordered_json* server = Child(declared, "server");
  const ordered_json* v = server != nullptr ? Child(*server, "drain_timeout") : nullptr;
  const double seconds = v != nullptr ? Number(*v).value_or(10) : 10;
  return static_cast<int64_t>(std::llround(seconds * 1e6));
}

DelayBounds ExpectedRetryDelay(const SubPolicy& p, int64_t failed_attempt) {
  const double n = static_cast<double>(std::max<int64_t>(1, failed_attempt));
  double seconds = p.retry_delay_seconds;
  if (p.backoff == Backoff::kLinear) seconds *= n;
  if (p.backoff == Backoff::kExponential) seconds *= std::pow(2.0, std::min(n - 1, 62.0));
  if (p.backoff != Backoff::kFixed) seconds = std::min(seconds, p.backoff_max_seconds);
  const double center = seconds * 1e6;
  const double spread = center * std::clamp(p.jitter, 0.0, 1.0);
  DelayBounds b;
  b.center_us = static_cast<int64_t>(std::llround(center));
  b.lo_us = std::max<int64_t>(0, static_cast<int64_t>(std::floor(center - spread)) - 1);
  b.hi_us = static_cast<int64_t>(std::ceil(center + spread)) + 1;
  return b;
}

int64_t RetryBacklogCap(const SubPolicy& p) {
  return std::max<int64_t>(100, 10 * p.messages_per_tick);
}

}  // namespace protean::harness::internal
