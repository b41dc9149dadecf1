#pragma once
// A Domain is a resolved configuration plus registered handlers plus the
// adapters the configuration names. Init() opens adapters in init order
// (databases -> caches -> brokers -> event store); Close() closes them in
// reverse (event store -> brokers -> caches -> databases), each close
// isolated. ResolveSubscriptions() applies Protean's resolution order to
// every handler. BuildEngine() wires an Engine over the domain's adapters.
//
// Handlers come from C++ (RegisterHandler) or from [handlers.<Name>] tables
// in domain.toml (scripted handlers, core/engine/scripted_handler.h).
//
// The error boundary: nothing here throws. A configuration error is a
// non-ok Status whose ErrorSource names its code, file, key and line.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config/domain_config.h"
#include "core/config/subscription_config.h"
#include "core/engine/adapter_registry.h"
#include "core/engine/engine.h"
#include "core/engine/handler.h"
#include "core/engine/handler_catalog.h"
#include "core/engine/scripted_handler.h"

namespace protean {

struct ResolvedHandler {
  const HandlerRegistration* handler;
  SubscriptionConfig config;
};

class Domain {
 public:
  Domain(config::DomainConfig config, const AdapterRegistry& registry, AdapterEnv env);
  ~Domain();
  Domain(const Domain&) = delete;
  Domain& operator=(const Domain&) = delete;

  const config::DomainConfig& config() const { return config_; }

  // kInvalidArgument on a missing name or stream, or a duplicate name.
  Status RegisterHandler(HandlerRegistration handler);
  // Registers every [handlers.<Name>] table. `stream_prefix` is put before
  // every handler's stream (the harness's per-run namespace; usually "").
  Status RegisterScriptedHandlers(std::shared_ptr<ScriptedRuntime> random,
                                  const std::string& stream_prefix = "");
  // The same, with the C++ handlers of `catalog` (core/engine/handler_catalog.h):
  // a [handlers.<Name>] table naming one runs its scripted behaviour, then the
  // C++ function; a C++ handler without a table is registered with the stream
  // and settings of its HandlerOptions (CONFIG_INVALID_VALUE without a stream).
  // catalog.status() is returned first when it is an error.
  Status RegisterHandlers(const HandlerCatalog& catalog, std::shared_ptr<ScriptedRuntime> random,
                          const std::string& stream_prefix = "");
  const std::vector<std::unique_ptr<HandlerRegistration>>& handlers() const { return handlers_; }

  // Builds every configured adapter. With `require_reachable` (production),
  // each is pinged and an unreachable one stops start-up: kUnavailable naming
  // it and its redacted address. On failure whatever was built is closed.
  Status Init(bool require_reachable);
  // kInvalidArgument for an invalid subscription setting.
  Result<std::vector<ResolvedHandler>> ResolveSubscriptions() const;
  EngineAdapters adapters() const;
  // Another broker built from brokers.<name>'s configuration with its own
  // `connections` connections, owned by the caller: for work that must not
  // wait behind the engine's blocking reads (the server's metrics refresher).
  // Only meaningful for a pooled broker (Broker::PoolConnections): a memory
  // broker built again would be another, empty, broker.
  Result<std::unique_ptr<Broker>> CreateSideBroker(const std::string& name,
                                                   int64_t connections) const;
  EngineOptions MakeEngineOptions(std::string instance) const;
  // Resolves subscriptions and builds an engine over this domain's adapters.
  // kInvalidArgument for a bad setting or a handler the adapters cannot serve.
  Result<std::unique_ptr<Engine>> BuildEngine(Executor& loop, Prng& prng, MetricsRegistry& metrics,
                                              EngineObserver* observer, std::string instance) const;
  // Closes adapters in reverse init order; returns the close errors (adapter: what).
  std::vector<std::string> Close();

 private:
  config::DomainConfig config_;
  const AdapterRegistry& registry_;
  AdapterEnv env_;
  std::vector<std::unique_ptr<HandlerRegistration>> handlers_;
  std::vector<std::pair<std::string, std::unique_ptr<Database>>> databases_;
  std::vector<std::pair<std::string, std::unique_ptr<Cache>>> caches_;
  std::vector<std::pair<std::string, std::unique_ptr<Broker>>> brokers_;
  std::unique_ptr<EventStore> event_store_;
  bool initialized_ = false;
};

}  // namespace protean
