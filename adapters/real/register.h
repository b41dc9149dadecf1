#pragma once
// Registers the real adapters with a provider registry: brokers `redis` and
// `redis_pubsub`, caches `redis`, databases `postgresql` and `sqlite`, event
// store `message_db`. Providers this build has no adapter for (elasticsearch)
// stay unregistered and fail with "not available in this build".

#include "core/engine/adapter_registry.h"

namespace protean {

void RegisterRealAdapters(AdapterRegistry& registry);

}  // namespace protean
