#pragma once
// Retry backoff: how long a failed message waits before its next attempt.
//
// For the n-th failed attempt (n >= 1) the raw delay is
//   fixed: base;  linear: base * n;  exponential: base * 2^(n-1)
// (linear and exponential capped at retry_backoff_max_seconds), then spread by +/- retry_jitter of
// itself, drawn from the seeded PRNG in whole microseconds (never negative).

#include <cstdint>

#include "core/config/subscription_config.h"
#include "core/runtime/prng.h"
#include "core/time.h"

namespace protean {

// The delay for this attempt, capped, before jitter.
Duration RetryDelayCapped(const SubscriptionConfig& c, int64_t failed_attempt);
// With jitter; `prng` is used only when retry_jitter > 0.
Duration RetryDelay(const SubscriptionConfig& c, int64_t failed_attempt, Prng& prng);
// The largest delay RetryDelay can return for this attempt (cap * (1 + jitter)).
Duration RetryDelayUpperBound(const SubscriptionConfig& c, int64_t failed_attempt);
// The smallest (cap * (1 - jitter)).
Duration RetryDelayLowerBound(const SubscriptionConfig& c, int64_t failed_attempt);

}  // namespace protean
