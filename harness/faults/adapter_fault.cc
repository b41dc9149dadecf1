#include "harness/faults/adapter_fault.h"

#include "harness/world.h"

namespace protean::harness {

std::optional<std::string> AdapterFault::Prepare(World& world, const PlannedFault& p) const {
  if (AdapterFaultPlans* plans = world.adapter_faults()) {
    AdapterFaultPlan broker;
    AdapterFaultPlan store;
    AddTo(TimeWindow{world.At(p.at_ms), world.At(p.at_ms + p.duration_ms)}, p, broker, store);
    plans->Add(p.instance, std::move(broker), std::move(store));
    return std::nullopt;
  }
  NetworkFaults* network = world.network_faults();
  if (network == nullptr) {
    return std::string(name()) + " cannot be produced in " + world.mode() + " mode";
  }
  if (ProxyEffects(p).empty()) return WhyNotProxied();
  network->Use();
  return std::nullopt;
}

proxy::Toxic AdapterFault::NamedToxic(const PlannedFault& p, proxy::ToxicType type) const {
  proxy::Toxic t;
  t.name = std::string(name()) + "@" + std::to_string(p.at_ms) + "+" +
           std::to_string(p.duration_ms) + "/" + (p.instance ? std::to_string(*p.instance) : "*");
  t.type = type;
  return t;
}

void AdapterFault::Switch(World& world, const PlannedFault& p, bool on) const {
  if (world.adapter_faults() != nullptr) return;  // the decorators read their plans
  NetworkFaults* network = world.network_faults();
  if (network == nullptr) return;
  for (const ProxyEffect& e : ProxyEffects(p)) network->Switch(p.instance, e.service, e.toxic, on);
}

void AdapterFault::Apply(World& world, const PlannedFault& p) const {
  Switch(world, p, true);
  if (shape().windowed || world.adapter_faults() != nullptr) return;
  world.loop().PostAfter(Millis(ProxyHoldMs()), [this, &world, &p] { Switch(world, p, false); });
}

void AdapterFault::Heal(World& world, const PlannedFault& p) const { Switch(world, p, false); }

}  // namespace protean::harness
