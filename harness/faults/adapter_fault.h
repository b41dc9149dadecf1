#pragma once
// The base of the kinds that act on an instance's broker and event-store
// connections. Two ways to produce them:
//   - a world with adapter decorators (the simulation): Prepare adds the
//     kind's windows to the run's AdapterFaultPlans, which FaultyBroker and
//     FaultyEventStore read against the clock;
//   - a world with network faults (test mode): the kind's toxics are
//     switched on in the instance's TCP fault proxies at at_ms (Apply) and
//     off at the window's end (Heal), or after ProxyHoldMs for a kind
//     without a window.
// A kind with no toxics says why (WhyNotProxied), and the case is skipped.

#include <string>
#include <vector>

#include "harness/faults/fault.h"
#include "harness/faults/fault_registry.h"
#include "harness/faults/faulty_adapters.h"
#include "harness/network_faults.h"

namespace protean::harness {

class AdapterFault : public Fault {
 public:
  using Fault::Fault;
  std::optional<std::string> Prepare(World& world, const PlannedFault& planned) const override;
  void Apply(World& world, const PlannedFault& planned) const override;
  void Heal(World& world, const PlannedFault& planned) const override;

 protected:
  struct ProxyEffect {
    ProxiedService service;
    proxy::Toxic toxic;
  };
  // Adds this fault's effect for `window` ([at, at + duration)) to the
  // instance's broker and event-store plans.
  virtual void AddTo(const TimeWindow& window, const PlannedFault& planned,
                     AdapterFaultPlan& broker, AdapterFaultPlan& store) const = 0;
  // The toxics that produce it through the proxies (empty: none can).
  virtual std::vector<ProxyEffect> ProxyEffects(const PlannedFault& planned) const = 0;
  virtual std::string WhyNotProxied() const { return ""; }
  virtual int64_t ProxyHoldMs() const { return 0; }
  // A toxic named for this fault (unique among the run's faults).
  proxy::Toxic NamedToxic(const PlannedFault& planned, proxy::ToxicType type) const;

 private:
  void Switch(World& world, const PlannedFault& planned, bool on) const;
};

}  // namespace protean::harness
