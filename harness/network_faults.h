#pragma once
// Test mode's adapter faults, produced for real by TCP fault proxies
// (harness/proxy/, docs/proxy.md). Once a fault asked for them (Use), every
// `protean server` child gets its own FaultProxy in front of the broker's
// Redis and one in front of the event store's PostgreSQL, and its domain
// points its broker and event store (only) at them. A fault switches a toxic on the proxies of
// its instance (or of every instance) for its window; a child started while
// a toxic is on gets it from the start.
//
// The harness's own connections (publishing, final state) never go through
// a proxy, as in the simulation they never go through a decorator.
// Called on the world's loop thread.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "harness/proxy/fault_proxy.h"

namespace protean::harness {

enum class ProxiedService { kBroker, kEventStore };

class NetworkFaults {
 public:
  // "host:port" of the real services ("" = that service has no proxy).
  void SetUpstreams(std::string broker, std::string event_store);
  void Use() { used_ = true; }
  bool used() const { return used_; }

  struct Addresses {
    std::string broker;  // "127.0.0.1:port" of its proxy; "" = none
    std::string event_store;
  };
  // Starts the proxies of one instance (replacing earlier ones) with the
  // toxics that are on.
  Result<Addresses> StartFor(int64_t index);
  void StopAll();

  // Switches `toxic` on or off (by name) for `instance` (nullopt: every
  // instance) on the proxies of `service`.
  void Switch(std::optional<int64_t> instance, ProxiedService service, const proxy::Toxic& toxic,
              bool on);

 private:
  struct Active {
    std::optional<int64_t> instance;
    ProxiedService service;
    proxy::Toxic toxic;
  };
  struct Proxies {
    std::unique_ptr<proxy::FaultProxy> broker;
    std::unique_ptr<proxy::FaultProxy> event_store;
    proxy::FaultProxy* Of(ProxiedService s) const {
      return s == ProxiedService::kBroker ? broker.get() : event_store.get();
    }
  };

  bool used_ = false;
  std::string broker_upstream_;
  std::string event_store_upstream_;
  std::vector<Active> active_;
  std::map<int64_t, Proxies> proxies_;
};

}  // namespace protean::harness
