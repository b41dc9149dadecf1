#pragma once
// A RateLimiter counts hits per key in fixed windows: the first hit of a key
// opens a window of `window`; up to `limit` hits in it are allowed, later
// ones are refused until it ends. Implementations: the in-process one of
// `protean server`'s API keys (app/server/api_keys.cc) and RedisRateLimiter
// (adapters/real/redis_rate_limiter.h), shared by every process on one
// Redis. Thread-safe.

#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace protean {

struct RateDecision {
  bool allowed = true;
  Duration retry_after{0};  // refused: until the window ends (> 0)
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // One hit of `key` at `now`. An error (the backend unreachable) decides
  // nothing: the caller chooses what to do.
  virtual Result<RateDecision> Hit(std::string_view key, int64_t limit, Duration window,
                                   TimePoint now) = 0;
};

}  // namespace protean
