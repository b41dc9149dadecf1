#pragma once
#include "core/engine/adapter_registry.h"

namespace protean {

// databases `postgresql`, `sqlite`; event store `message_db`.
void RegisterSqlAdapters(AdapterRegistry& registry);

}  // namespace protean
