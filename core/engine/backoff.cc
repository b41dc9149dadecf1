#include "core/engine/backoff.h"

#include <algorithm>
#include <cmath>

namespace protean {

Duration RetryDelayCapped(const SubscriptionConfig& c, int64_t failed_attempt) {
  const int64_t n = std::max<int64_t>(1, failed_attempt);
  double seconds = c.retry_delay_seconds;
  switch (c.retry_backoff) {
    case BackoffKind::kFixed:
      break;
    case BackoffKind::kLinear:
      seconds *= static_cast<double>(n);
      break;
    case BackoffKind::kExponential:
      seconds *= std::ldexp(1.0, static_cast<int>(std::min<int64_t>(n - 1, 62)));
      break;
  }
  if (c.retry_backoff != BackoffKind::kFixed) {
    seconds = std::min(seconds, c.retry_backoff_max_seconds);
  }
  return SecondsF(seconds);
}

Duration RetryDelay(const SubscriptionConfig& c, int64_t failed_attempt, Prng& prng) {
  const Duration d = RetryDelayCapped(c, failed_attempt);
  if (c.retry_jitter <= 0 || d <= Duration::zero()) return d;
  const int64_t spread = static_cast<int64_t>(static_cast<double>(d.count()) * c.retry_jitter);
  const int64_t us = d.count() + prng.UniformInt(-spread, spread);
  return Duration(std::max<int64_t>(0, us));
}

Duration RetryDelayUpperBound(const SubscriptionConfig& c, int64_t failed_attempt) {
  const Duration d = RetryDelayCapped(c, failed_attempt);
  return d + Duration(static_cast<int64_t>(static_cast<double>(d.count()) * c.retry_jitter));
}

Duration RetryDelayLowerBound(const SubscriptionConfig& c, int64_t failed_attempt) {
  const Duration d = RetryDelayCapped(c, failed_attempt);
  const Duration low =
      d - Duration(static_cast<int64_t>(static_cast<double>(d.count()) * c.retry_jitter));
  return std::max(low, Duration::zero());
}

}  // namespace protean
