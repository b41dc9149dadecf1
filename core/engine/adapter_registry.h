#pragma once
// The provider registry: maps the provider names of domain.toml to factories
// that build adapters. core/ only knows the names (core/config/providers.h);
// the memory adapters register themselves with RegisterMemoryAdapters
// (adapters/memory/register.h) and the real ones with RegisterRealAdapters
// (adapters/real/register.h). A known provider without a factory in this
// build (e.g. elasticsearch) fails with a clear "not available" error.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/broker.h"
#include "core/cache.h"
#include "core/clock.h"
#include "core/config/providers.h"
#include "core/config/sections.h"
#include "core/database.h"
#include "core/event_store.h"
#include "core/status.h"

namespace protean {

// What a factory may use besides the section it builds from.
struct AdapterEnv {
  const Clock* clock = nullptr;
};

class AdapterRegistry {
 public:
  template <typename Port, typename Config>
  using Factory = std::function<Result<std::unique_ptr<Port>>(const Config&, const AdapterEnv&)>;

  void RegisterDatabase(const std::string& provider, Factory<Database, config::DatabaseConfig> f);
  void RegisterBroker(const std::string& provider, Factory<Broker, config::BrokerConfig> f);
  void RegisterEventStore(const std::string& provider,
                          Factory<EventStore, config::EventStoreConfig> f);
  void RegisterCache(const std::string& provider, Factory<Cache, config::CacheConfig> f);

  Result<std::unique_ptr<Database>> CreateDatabase(const config::DatabaseConfig& c,
                                                   const AdapterEnv& env) const;
  Result<std::unique_ptr<Broker>> CreateBroker(const config::BrokerConfig& c,
                                               const AdapterEnv& env) const;
  Result<std::unique_ptr<EventStore>> CreateEventStore(const config::EventStoreConfig& c,
                                                       const AdapterEnv& env) const;
  Result<std::unique_ptr<Cache>> CreateCache(const config::CacheConfig& c,
                                             const AdapterEnv& env) const;

  // Whether a factory is registered for `provider` (what `protean check`
  // asks, so that it refuses what Create* would).
  bool Has(config::ProviderKind kind, std::string_view provider) const;

 private:
  std::map<std::string, Factory<Database, config::DatabaseConfig>> databases_;
  std::map<std::string, Factory<Broker, config::BrokerConfig>> brokers_;
  std::map<std::string, Factory<EventStore, config::EventStoreConfig>> event_stores_;
  std::map<std::string, Factory<Cache, config::CacheConfig>> caches_;
};

}  // namespace protean
