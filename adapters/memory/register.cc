#include "adapters/memory/register.h"

#include "adapters/memory/memory_broker.h"
#include "adapters/memory/memory_cache.h"
#include "adapters/memory/memory_database.h"
#include "adapters/memory/memory_event_store.h"
#include "adapters/memory/memory_pubsub_broker.h"

namespace protean {

void RegisterMemoryAdapters(AdapterRegistry& registry) {
  registry.RegisterDatabase(
      "memory",
      [](const config::DatabaseConfig&, const AdapterEnv&) -> Result<std::unique_ptr<Database>> {
        return std::unique_ptr<Database>(std::make_unique<MemoryDatabase>());
      });
  for (const char* provider : {"inline", "memory"}) {
    registry.RegisterBroker(
        provider,
        [provider](const config::BrokerConfig&,
                   const AdapterEnv& env) -> Result<std::unique_ptr<Broker>> {
          return std::unique_ptr<Broker>(std::make_unique<MemoryBroker>(*env.clock, provider));
        });
  }
  registry.RegisterEventStore(
      "memory",
      [](const config::EventStoreConfig&,
         const AdapterEnv& env) -> Result<std::unique_ptr<EventStore>> {
        return std::unique_ptr<EventStore>(std::make_unique<MemoryEventStore>(*env.clock));
      });
  registry.RegisterCache(
      "memory",
      [](const config::CacheConfig&, const AdapterEnv& env) -> Result<std::unique_ptr<Cache>> {
        return std::unique_ptr<Cache>(std::make_unique<MemoryCache>(*env.clock));
      });
}

void RegisterMemoryTwins(AdapterRegistry& registry) {
  registry.RegisterBroker(
      "redis_pubsub",
      [](const config::BrokerConfig&, const AdapterEnv&) -> Result<std::unique_ptr<Broker>> {
        return std::unique_ptr<Broker>(std::make_unique<MemoryPubSubBroker>());
      });
}

}  // namespace protean
