#pragma once
// Registers the real adapters with a provider registry: brokers `redis` and
// `redis_pubsub`, caches `redis`, databases `postgresql` and `sqlite`, event
// store `message_db`. Providers this build has no adapter for (elasticsearch)
// stay unregistered and fail with "not available in this build".

#include <memory>
#include <string>

#include "core/engine/adapter_registry.h"
#include "core/rate_limiter.h"

namespace protean {

namespace config {
struct BrokerConfig;
}  // namespace config

void RegisterRealAdapters(AdapterRegistry& registry);

// A RateLimiter on the Redis of a `redis` broker's settings (its URI and
// timeouts), its keys prefixed with `prefix`; kUnavailable in a build
// without the Redis adapters, kInvalidArgument for bad settings. Connects
// lazily: construction never reaches Redis.
Result<std::unique_ptr<RateLimiter>> MakeRedisRateLimiter(const config::BrokerConfig& broker,
                                                          std::string prefix);

}  // namespace protean
