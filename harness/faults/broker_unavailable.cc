// broker_unavailable: every broker call of the instance (or of every
// instance) fails as unavailable during [at_ms, at_ms + duration_ms).

#include "harness/faults/adapter_fault.h"

namespace protean::harness {
namespace {

class BrokerUnavailable final : public AdapterFault {
 public:
  static constexpr std::string_view kName = "broker_unavailable";
  BrokerUnavailable() : AdapterFault(kName, {true, InstanceKey::kOptional}) {}

 protected:
  void AddTo(const TimeWindow& window, const PlannedFault&, AdapterFaultPlan& broker,
             AdapterFaultPlan&) const override {
    broker.unavailable.push_back(window);
  }
  // Test mode: the broker's proxy is down (connections cut, new ones refused).
  std::vector<ProxyEffect> ProxyEffects(const PlannedFault& p) const override {
    return {{ProxiedService::kBroker, NamedToxic(p, proxy::ToxicType::kDown)}};
  }
};

}  // namespace

void RegisterBrokerUnavailable(FaultRegistry& registry) { registry.Add<BrokerUnavailable>(); }

}  // namespace protean::harness
