#pragma once
// The base of the kinds that act on an instance's broker and event-store
// connections. In a world with adapter decorators (the simulation) Prepare
// adds the kind's windows to the run's AdapterFaultPlans, read by
// FaultyBroker/FaultyEventStore against the clock; elsewhere it says the
// fault cannot be produced (the case is skipped with the reason).

#include "harness/faults/fault.h"
#include "harness/faults/fault_registry.h"
#include "harness/faults/faulty_adapters.h"

namespace protean::harness {

class AdapterFault : public Fault {
 public:
  using Fault::Fault;
  std::optional<std::string> Prepare(World& world, const PlannedFault& planned) const override;

 protected:
  // Adds this fault's effect for `window` ([at, at + duration)) to the
  // instance's broker and event-store plans.
  virtual void AddTo(const TimeWindow& window, const PlannedFault& planned,
                     AdapterFaultPlan& broker, AdapterFaultPlan& store) const = 0;
};

}  // namespace protean::harness
