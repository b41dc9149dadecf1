#include "adapters/real/redis_rate_limiter.h"

#include <algorithm>
#include <vector>

#include "adapters/real/redis_connection.h"
#include "adapters/real/redis_pool.h"
#include "adapters/real/redis_reply.h"
#include "adapters/real/redis_script.h"

namespace protean {
namespace {

// KEYS[1] the window's key. ARGV[1] the window in ms. Returns {count, pttl}.
constexpr char kHitLua[] = R"lua(
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
)lua";

}  // namespace

RedisRateLimiter::RedisRateLimiter(RedisOptions options, std::string prefix)
    : prefix_(std::move(prefix)),
      pool_(std::make_unique<RedisPool>([&] {
        RedisOptions o = WithShortTimeouts(std::move(options), kTimeout, "rate limiter");
        o.max_connections = 2;
        return o;
      }())),
      hit_(std::make_unique<RedisScript>("rate limit script", kHitLua)) {}

RedisRateLimiter::~RedisRateLimiter() { pool_->Close(); }

Result<RateDecision> RedisRateLimiter::Hit(std::string_view key, int64_t limit, Duration window,
                                           TimePoint /*now*/) {
  const int64_t window_ms = std::max<int64_t>(1, redis_internal::CeilMillis(window));
  const std::vector<std::string> keys = {prefix_ + std::string(key)};
  const std::vector<std::string> args = {std::to_string(window_ms)};
  return pool_->Run<RateDecision>(
      RedisRetry::kNotIdempotent, [&](RedisConnection& c) -> Result<RateDecision> {
        auto reply = hit_->Eval(c, keys, args);
        if (!reply.ok()) return reply.status();
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
          return Status::Internal("rate limit script: not {count, pttl}");
        }
        const auto count = redis_internal::Integer(r->element[0]);
        const auto ttl_ms = redis_internal::Integer(r->element[1]);
        if (!count || !ttl_ms) return Status::Internal("rate limit script: not integers");
        if (*count <= limit) return RateDecision{};
        return RateDecision{false, Millis(std::max<int64_t>(1, *ttl_ms))};
      });
}

}  // namespace protean
