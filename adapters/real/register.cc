#include "adapters/real/register.h"

#include "adapters/real/register_redis.h"
#include "adapters/real/register_sql.h"

namespace protean {

void RegisterRealAdapters(AdapterRegistry& registry) {
  RegisterRedisAdapters(registry);
  RegisterSqlAdapters(registry);
}

}  // namespace protean
