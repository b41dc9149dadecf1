#include "adapters/real/register.h"

#if PROTEAN_WITH_REDIS
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

}  // namespace protean
