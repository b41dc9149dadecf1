#include "harness/faults/service_fault.h"

#include "harness/world.h"

namespace protean::harness {

std::optional<std::string> ServiceFault::Prepare(World& world, const PlannedFault& p) const {
  if (AdapterFaultPlans* plans = world.adapter_faults()) {
    const int64_t ms = shape().windowed ? p.duration_ms : EquivalentMs();
    AdapterFaultPlan broker;
    AdapterFaultPlan store;
    AddTo(TimeWindow{world.At(p.at_ms), world.At(p.at_ms + ms)}, broker, store);
    plans->Add(std::nullopt, std::move(broker), std::move(store));
    return std::nullopt;
  }
  ServiceControl* services = world.service_control();
  if (services == nullptr)
    return std::string(name()) + " cannot be produced in " + world.mode() + " mode";
  return PrepareService(*services);
}

void ServiceFault::Apply(World& world, const PlannedFault& p) const {
  ServiceControl* services = world.service_control();
  if (services == nullptr) {
    ApplySimulated(world, p);
    return;
  }
  Status st = ApplyService(world, *services, p);
  if (!st.ok())
    world.ReportProblem(std::string(name()) + " at " + std::to_string(p.at_ms) +
                        " ms: " + st.message());
}

void ServiceFault::Heal(World& world, const PlannedFault& p) const {
  ServiceControl* services = world.service_control();
  if (services == nullptr) return;
  Status st = HealService(world, *services, p);
  if (!st.ok()) {
    world.ReportProblem(std::string(name()) + " healing at " +
                        std::to_string(p.at_ms + p.duration_ms) + " ms: " + st.message());
  }
}

}  // namespace protean::harness
