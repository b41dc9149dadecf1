#pragma once
// The registry of provider names domain.toml may use, per kind of adapter.
//
// These are Protean's names. The loader rejects any other name with
// CONFIG_UNKNOWN_PROVIDER (listing the known ones), so a typo never falls back
// to memory. Which of them this build can actually open is the business of
// the adapter factories, not of this list. Does not include toml++.

#include <span>
#include <string>
#include <string_view>

namespace protean::config {

enum class ProviderKind {
  kDatabase,    // [databases.<name>]: memory, postgresql, sqlite, mssql, elasticsearch
  kBroker,      // [brokers.<name>]:   inline, memory, redis, redis_pubsub
  kEventStore,  // [event_store]:      memory, message_db
  kCache,       // [caches.<name>]:    memory, redis
};

// The known provider names of `kind`, in a fixed documentation order.
std::span<const std::string_view> KnownProviders(ProviderKind kind);

bool IsKnownProvider(ProviderKind kind, std::string_view provider);

// "database", "broker", "event store", "cache".
std::string_view ProviderKindName(ProviderKind kind);

// "memory, postgresql, sqlite, mssql, elasticsearch".
std::string JoinKnownProviders(ProviderKind kind);

// What a broker provider can do, known from its name so the loader can refuse
// a handler its broker cannot serve before any adapter is built. Must agree
// with the adapters' Broker::capabilities() (tests/config/start_parity_test.cc
// checks it): redis_pubsub is Protean's SIMPLE_QUEUING list (groups as
// positions, nothing pending, no DLQ); the others have all three.
struct BrokerProviderTraits {
  bool consumer_groups = true;
  bool pending = true;
  bool dlq = true;
};
BrokerProviderTraits BrokerProviderTraitsOf(std::string_view provider);

}  // namespace protean::config
