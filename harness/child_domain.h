#pragma once
// The domain.toml of one `protean server` child in test mode: the scenario's
// document (harness/scenario_domain.h: base, scenario domain, handlers with
// their fault windows as data) with
//   - the [test] overlay's ${VARS} resolved, so the file names the real
//     services, and the broker / event-store addresses pointed at the
//     child's fault proxies when it has them;
//   - every handler's stream in the run's namespace;
//   - the instance's member of each partitioned event-store subscription;
//   - the health server on, on 127.0.0.1 (its port is a flag, --health-port).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config/substitution.h"
#include "core/event_store.h"

namespace protean::harness {

struct ChildDomainOptions {
  std::string ns;  // stream prefix
  std::set<std::string> event_store_handlers;
  std::optional<ConsumerGroup> partition;  // this instance's member, if partitioned
  // "host:port" of the child's proxies; the address in [test]'s broker URI
  // and event-store database_uri is replaced by it ("" = keep).
  std::string broker_address;
  std::string event_store_address;
  // Set on the PostgreSQL URIs of [test] (event store, database), so that
  // pg_terminate_backend can pick this child's connections ("" = none).
  std::string application_name;
};

// Throws ConfigurationError for an unresolvable ${VAR}.
std::string ChildDomainText(const toml::table& document, const std::string& file,
                            const config::EnvLookup& env_lookup, const ChildDomainOptions& options);

// Where the [test] overlay's broker and event store are ("host:port", ""
// when not given as a URI), its ${VARS} resolved.
struct TestServices {
  std::string broker;
  std::string event_store;
};
TestServices TestServiceAddresses(const toml::table& document, const std::string& file,
                                  const config::EnvLookup& env_lookup);

// "redis://u@127.0.0.1:6390/0" -> "127.0.0.1:6390" ("" when there is none).
std::string UriAddress(const std::string& uri);

}  // namespace protean::harness
