#pragma once
// The base of the kinds that act on the real services themselves (Redis
// restart, CLIENT PAUSE, CLIENT KILL, PostgreSQL restart,
// pg_terminate_backend). Two ways to produce them:
//   - the simulation: the kind's equivalent meaning as adapter fault
//     windows on every instance (AddTo: a restarted server is unavailable,
//     a paused one answers at the end of the pause, a killed connection
//     fails its next call), read by FaultyBroker / FaultyEventStore;
//   - test mode: through the world's ServiceControl (service_control.h), at
//     at_ms (ApplyService) and at the window's end (HealService). A failure
//     there is a problem of the case, never ignored.

#include <string>

#include "harness/faults/fault.h"
#include "harness/faults/fault_registry.h"
#include "harness/faults/faulty_adapters.h"
#include "harness/service_control.h"

namespace protean::harness {

class ServiceFault : public Fault {
 public:
  using Fault::Fault;
  std::optional<std::string> Prepare(World& world, const PlannedFault& planned) const override;
  void Apply(World& world, const PlannedFault& planned) const override;
  void Heal(World& world, const PlannedFault& planned) const override;

 protected:
  // The simulation's equivalent for [at, at + duration) (for a kind
  // without a window, `window` is [at, at + EquivalentMs())).
  virtual void AddTo(const TimeWindow& window, AdapterFaultPlan& broker,
                     AdapterFaultPlan& store) const = 0;
  virtual int64_t EquivalentMs() const { return 0; }
  // Test mode, before the world opens: a reason it cannot, or nullopt.
  virtual std::optional<std::string> PrepareService(ServiceControl& services) const {
    (void)services;
    return std::nullopt;
  }
  virtual Status ApplyService(World& world, ServiceControl& services,
                              const PlannedFault& planned) const = 0;
  virtual Status HealService(World& world, ServiceControl& services,
                             const PlannedFault& planned) const {
    (void)world;
    (void)services;
    (void)planned;
    return Status::Ok();
  }
  // The simulation at at_ms, beyond the windows (a wipe).
  virtual void ApplySimulated(World& world, const PlannedFault& planned) const {
    (void)world;
    (void)planned;
  }
};

}  // namespace protean::harness
