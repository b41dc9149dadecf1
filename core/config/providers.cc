#include "core/config/providers.h"

#include <algorithm>
#include <array>

namespace protean::config {
namespace {

constexpr std::array<std::string_view, 5> kDatabaseProviders = {"memory", "postgresql", "sqlite",
                                                                "mssql", "elasticsearch"};
constexpr std::array<std::string_view, 4> kBrokerProviders = {"inline", "memory", "redis",
                                                              "redis_pubsub"};
constexpr std::array<std::string_view, 2> kEventStoreProviders = {"memory", "message_db"};
constexpr std::array<std::string_view, 2> kCacheProviders = {"memory", "redis"};

}  // namespace

std::span<const std::string_view> KnownProviders(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::kDatabase:
      return kDatabaseProviders;
    case ProviderKind::kBroker:
      return kBrokerProviders;
    case ProviderKind::kEventStore:
      return kEventStoreProviders;
    case ProviderKind::kCache:
      return kCacheProviders;
  }
  return {};
}

bool IsKnownProvider(ProviderKind kind, std::string_view provider) {
  auto known = KnownProviders(kind);
  return std::find(known.begin(), known.end(), provider) != known.end();
}

std::string_view ProviderKindName(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::kDatabase:
      return "database";
    case ProviderKind::kBroker:
      return "broker";
    case ProviderKind::kEventStore:
      return "event store";
    case ProviderKind::kCache:
      return "cache";
  }
  return "unknown";
}

std::string JoinKnownProviders(ProviderKind kind) {
  std::string out;
  for (std::string_view name : KnownProviders(kind)) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

BrokerProviderTraits BrokerProviderTraitsOf(std::string_view provider) {
  if (provider == "redis_pubsub") return BrokerProviderTraits{true, false, false};
  return BrokerProviderTraits{};
}

}  // namespace protean::config
