#include "adapters/real/register.h"

#if PROTEAN_WITH_REDIS
#include "adapters/real/redis_rate_limiter.h"
#include "adapters/real/register_redis.h"
#endif
#if PROTEAN_WITH_POSTGRES
#include "adapters/real/register_sql.h"
#endif

namespace protean {

void RegisterRealAdapters([[maybe_unused]] AdapterRegistry& registry) {
#if PROTEAN_WITH_REDIS
  RegisterRedisAdapters(registry);
#endif
#if PROTEAN_WITH_POSTGRES
  RegisterSqlAdapters(registry);
#endif
}

Result<std::unique_ptr<RateLimiter>> MakeRedisRateLimiter(
    [[maybe_unused]] const config::BrokerConfig& broker, [[maybe_unused]] std::string prefix) {
#if PROTEAN_WITH_REDIS
  Result<RedisOptions> options = RedisOptionsFromBroker(broker);
  if (!options.ok()) return options.status();
  return std::unique_ptr<RateLimiter>(
      std::make_unique<RedisRateLimiter>(std::move(options).value(), std::move(prefix)));
#else
  return Status::Unavailable("the Redis adapters are not available in this build");
#endif
}

}  // namespace protean
