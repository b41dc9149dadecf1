#pragma once
// The checkers' own account of the policy a scenario file declared: which
// handlers consume which stream, with what retries, delays, caps, jitter,
// timeouts and DLQ thresholds, and how the DLQ is maintained. Private to the
// checkers (harness/checkers*.cc) and the HTML report's model.
//
// INTENDED DUPLICATION. This is a second implementation, kept small and
// apart, of rules the engine also implements: subscription-config resolution
// with profiles (core/config/subscription_resolver.cc, the built-in profiles
// of core/config/subscription_config.cc), retry backoff (core/engine/backoff.cc),
// the retry backlog cap (core/engine/stream_subscription.cc) and the DLQ
// targets of the maintenance cycle (core/engine/engine.cc). A checker that
// computed its expectations with the engine's functions, events or resolved
// config would share every bug in them (as Jepsen's checkers judge from the
// client's view, these judge from the scenario file's). Nothing here may
// include or call engine code; the values are those documented in
// ARCHITECTURE.md ("Reference values") and scenarios/README.md.
//
// The input is the header's "declared" object (docs/history.md): the
// scenario's [domain.server] table and its [handlers] tables as JSON, written
// by harness/declared_policy.h. A history without it (older files, unit
// tests' hand-made headers) falls back to the header's "subscriptions".

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace protean::harness::internal {

enum class Backoff { kFixed, kLinear, kExponential };

// One handler's subscription, as the scenario file declares it.
struct SubPolicy {
  bool event_store = false;
  int64_t messages_per_tick = 10;
  double tick_interval_seconds = 0;
  int64_t max_retries = 3;  // attempts in all (Protean counts attempts)
  double retry_delay_seconds = 1;
  Backoff backoff = Backoff::kFixed;
  double backoff_max_seconds = 60;
  double jitter = 0;
  bool enable_dlq = true;
  std::optional<double> handler_timeout_seconds;
  double claim_idle_seconds = 60;
  int64_t concurrency = 1;
  std::optional<std::string> ordered_by;  // the payload key messages are ordered by
  int64_t position_update_interval = 10;
  std::optional<double> dlq_retention_hours;
  std::optional<int64_t> dlq_alert_threshold;
  int64_t circuit_breaker_threshold = 10;  // Protean's defaults, every profile too
  double circuit_breaker_reset_seconds = 60;
  std::string profile;  // the profile applied last ("" when none)
  // Event store: Protean's recovery pass ([server.event_store_subscription]
  // enable_recovery, recovery_interval_seconds, and its max_retries /
  // retry_delay_seconds, read here as recovery_*; defaults True, 30, 3, 1,
  // event_store_subscription.py:181-200).
  bool enable_recovery = true;
  double recovery_interval_seconds = 30;
  int64_t recovery_max_retries = 3;
  double recovery_retry_delay_seconds = 1;

  // Failures go to the recovery pass instead of being retried in place.
  bool recovers() const { return event_store && enable_recovery; }
  // Attempts in all: with the recovery pass the first one and
  // recovery_max_retries retries (then Exhausted); else max_retries.
  int64_t attempts_max() const {
    if (recovers()) return 1 + recovery_max_retries;
    return max_retries < 1 ? 1 : max_retries;
  }
};

// [server.dlq] as declared (defaults: disabled, 168 h, 100, every 60 s).
struct DlqPolicy {
  bool enabled = false;
  double retention_hours = 168;
  int64_t alert_threshold = 100;
  double check_interval_seconds = 60;
};

// [server.priority_lanes] as declared (Protean's defaults, domain/config.py:
// 208-212: off, threshold 0, suffix "backfill"). With `enabled`, a stream
// subscription also consumes `{stream}:{backfill_suffix}`, read only when the
// primary stream is empty, dead-lettering to `{stream}:{backfill_suffix}:dlq`.
struct LanesPolicy {
  bool enabled = false;
  std::string backfill_suffix = "backfill";
  // The backfill lane of `stream` ("" when the lanes are off).
  std::string BackfillOf(const std::string& stream) const {
    return enabled ? stream + ":" + backfill_suffix : "";
  }
};
LanesPolicy DeclaredLanes(const nlohmann::ordered_json& declared);

// Resolves `handler`'s policy from the declared [domain.server] table and its
// [handlers.<handler>] table, lowest level first: defaults, the server's
// default profile (only when no higher level names one), server settings
// ([server.stream_subscription], default_subscription_type, ...),
// [server.subscriptions.<handler>] (its profile, then its keys), the
// handler's subscription_profile, its subscription_config.
SubPolicy ResolveDeclared(const nlohmann::ordered_json& declared, const std::string& handler);
// The header's resolved "subscriptions" entry (histories without "declared";
// one without enable_recovery predates the recovery pass: false).
SubPolicy SubPolicyFromResolved(const nlohmann::ordered_json& j);
DlqPolicy DeclaredDlq(const nlohmann::ordered_json& declared);
// [server] drain_timeout in microseconds (default 10 s).
int64_t DeclaredDrainTimeoutUs(const nlohmann::ordered_json& declared);

// The wait before the next attempt after the `failed_attempt`-th failure:
//   fixed: base; linear: base * n; exponential: base * 2^(n-1),
// linear and exponential capped at backoff_max_seconds, then spread by
// +/- jitter of itself. Microseconds; `lo`/`hi` allow one microsecond of
// rounding either way.
struct DelayBounds {
  int64_t lo_us = 0;
  int64_t center_us = 0;  // before jitter
  int64_t hi_us = 0;
};
DelayBounds ExpectedRetryDelay(const SubPolicy& p, int64_t failed_attempt);

// How many retries one stream subscription may keep waiting in memory before
// it stops fetching (scenarios/README.md, retries/retry_backlog): at least
// 100, and 10 batches.
int64_t RetryBacklogCap(const SubPolicy& p);

}  // namespace protean::harness::internal
