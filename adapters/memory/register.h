#pragma once
// Registers the memory backends with a provider registry: databases `memory`,
// brokers `inline` and `memory`, event store `memory`, caches `memory`.

#include "core/engine/adapter_registry.h"

namespace protean {

void RegisterMemoryAdapters(AdapterRegistry& registry);

}  // namespace protean
