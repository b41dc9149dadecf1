#pragma once
#include "core/engine/adapter_registry.h"

namespace protean {

// brokers `redis`, `redis_pubsub`; caches `redis`.
void RegisterRedisAdapters(AdapterRegistry& registry);

}  // namespace protean
