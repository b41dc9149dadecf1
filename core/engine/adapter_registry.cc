#include "core/engine/adapter_registry.h"

namespace protean {
namespace {

template <typename Map, typename Config>
auto Create(const Map& factories, const Config& c, const AdapterEnv& env, const std::string& where)
    -> decltype(factories.begin()->second(c, env)) {
  auto it = factories.find(c.provider);
  if (it == factories.end()) {
    return Status::InvalidArgument(where + ": provider '" + c.provider +
                                   "' is not available in this build");
  }
  return it->second(c, env);
}

}  // namespace

void AdapterRegistry::RegisterDatabase(const std::string& provider,
                                       Factory<Database, config::DatabaseConfig> f) {
  databases_[provider] = std::move(f);
}
void AdapterRegistry::RegisterBroker(const std::string& provider,
                                     Factory<Broker, config::BrokerConfig> f) {
  brokers_[provider] = std::move(f);
}
void AdapterRegistry::RegisterEventStore(const std::string& provider,
                                         Factory<EventStore, config::EventStoreConfig> f) {
  event_stores_[provider] = std::move(f);
}
void AdapterRegistry::RegisterCache(const std::string& provider,
                                    Factory<Cache, config::CacheConfig> f) {
  caches_[provider] = std::move(f);
}

Result<std::unique_ptr<Database>> AdapterRegistry::CreateDatabase(const config::DatabaseConfig& c,
                                                                  const AdapterEnv& env) const {
  return Create(databases_, c, env, "databases." + c.name);
}
Result<std::unique_ptr<Broker>> AdapterRegistry::CreateBroker(const config::BrokerConfig& c,
                                                              const AdapterEnv& env) const {
  return Create(brokers_, c, env, "brokers." + c.name);
}
Result<std::unique_ptr<EventStore>> AdapterRegistry::CreateEventStore(
    const config::EventStoreConfig& c, const AdapterEnv& env) const {
  return Create(event_stores_, c, env, std::string("event_store"));
}
Result<std::unique_ptr<Cache>> AdapterRegistry::CreateCache(const config::CacheConfig& c,
                                                            const AdapterEnv& env) const {
  return Create(caches_, c, env, "caches." + c.name);
}

bool AdapterRegistry::Has(config::ProviderKind kind, std::string_view provider) const {
  const std::string name(provider);
  switch (kind) {
    case config::ProviderKind::kDatabase:
      return databases_.count(name) > 0;
    case config::ProviderKind::kBroker:
      return brokers_.count(name) > 0;
    case config::ProviderKind::kEventStore:
      return event_stores_.count(name) > 0;
    case config::ProviderKind::kCache:
      return caches_.count(name) > 0;
  }
  return false;
}

}  // namespace protean
