#include "adapters/real/register_redis.h"

#include <memory>

#include "adapters/real/redis_broker.h"
#include "adapters/real/redis_cache.h"
#include "adapters/real/redis_options.h"
#include "adapters/real/redis_pubsub_broker.h"

namespace protean {

// Factories parse the section (RedisOptionsFromBroker / FromCache: URI,
// max_connections, socket_timeout, socket_connect_timeout, retry_on_timeout,
// pool_timeout, key_prefix) and fail with kInvalidArgument on a bad value;
// they never connect: the domain's Ping() checks reachability.
void RegisterRedisAdapters(AdapterRegistry& registry) {
  registry.RegisterBroker("redis",
                          [](const config::BrokerConfig& config,
                             const AdapterEnv& env) -> Result<std::unique_ptr<Broker>> {
                            PROTEAN_CHECK(env.clock != nullptr);
                            auto options = RedisOptionsFromBroker(config);
                            if (!options.ok()) return options.status();
                            return std::unique_ptr<Broker>(std::make_unique<RedisBroker>(
                                *env.clock, std::move(options).value()));
                          });
  registry.RegisterBroker("redis_pubsub",
                          [](const config::BrokerConfig& config,
                             const AdapterEnv& env) -> Result<std::unique_ptr<Broker>> {
                            PROTEAN_CHECK(env.clock != nullptr);
                            auto options = RedisOptionsFromBroker(config);
                            if (!options.ok()) return options.status();
                            return std::unique_ptr<Broker>(
                                std::make_unique<RedisPubSubBroker>(std::move(options).value()));
                          });
  registry.RegisterCache(
      "redis",
      [](const config::CacheConfig& config,
         const AdapterEnv& env) -> Result<std::unique_ptr<Cache>> {
        PROTEAN_CHECK(env.clock != nullptr);
        auto settings = RedisOptionsFromCache(config);
        if (!settings.ok()) return settings.status();
        return std::unique_ptr<Cache>(std::make_unique<RedisCache>(
            *env.clock, std::move(settings->options), std::move(settings->key_prefix)));
      });
}

}  // namespace protean
