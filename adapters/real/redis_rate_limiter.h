#pragma once
// RedisRateLimiter: a RateLimiter whose windows live in Redis, so every
// process on the same Redis shares them (the admin-route limit of several
// `protean server` processes). One Lua script per hit: INCR of
// `<prefix><key>`, PEXPIRE <window> when it opened the window (or when the
// key has no TTL), then PTTL; allowed while the count is <= limit, else
// refused for the PTTL left. Windows follow Redis's clock, not `now`.
//
// The key is used as given: callers pass an id, never a secret. A pool of
// at most two connections with short timeouts (kTimeout), so a hit never
// holds a request long while Redis is unreachable.
//
// Thread-safety: Hit may be called from any thread.

#include <memory>
#include <string>

#include "adapters/real/redis_options.h"
#include "core/rate_limiter.h"

namespace protean {

class RedisPool;
class RedisScript;

class RedisRateLimiter final : public RateLimiter {
 public:
  static constexpr Duration kTimeout = Millis(500);

  RedisRateLimiter(RedisOptions options, std::string prefix);
  ~RedisRateLimiter() override;

  Result<RateDecision> Hit(std::string_view key, int64_t limit, Duration window,
                           TimePoint now) override;

 private:
  std::string prefix_;
  std::unique_ptr<RedisPool> pool_;
  std::unique_ptr<RedisScript> hit_;
};

}  // namespace protean
