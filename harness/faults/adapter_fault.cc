#include "harness/faults/adapter_fault.h"

#include "harness/world.h"

namespace protean::harness {

std::optional<std::string> AdapterFault::Prepare(World& world, const PlannedFault& p) const {
  AdapterFaultPlans* plans = world.adapter_faults();
  if (plans == nullptr) {
    return std::string(name()) + " cannot be produced in " + world.mode() +
           " mode yet (it needs the TCP fault proxy)";
  }
  AdapterFaultPlan broker;
  AdapterFaultPlan store;
  AddTo(TimeWindow{world.At(p.at_ms), world.At(p.at_ms + p.duration_ms)}, p, broker, store);
  plans->Add(p.instance, std::move(broker), std::move(store));
  return std::nullopt;
}

}  // namespace protean::harness
