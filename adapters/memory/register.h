#pragma once
// Registers the memory backends with a provider registry: databases `memory`,
// brokers `inline` and `memory`, event store `memory`, caches `memory`; and,
// for memory mode, the twins of real providers (RegisterMemoryTwins).

#include "core/engine/adapter_registry.h"

namespace protean {

void RegisterMemoryAdapters(AdapterRegistry& registry);

// Memory mode only (the harness's simulation, memory-mode tests): the memory
// twins of real providers take their names, so a scenario or test that says
// `provider = "redis_pubsub"` runs on MemoryPubSubBroker, with the list's
// semantics, instead of reaching for a Redis. Call after
// RegisterRealAdapters (a later registration replaces an earlier one).
void RegisterMemoryTwins(AdapterRegistry& registry);

}  // namespace protean
