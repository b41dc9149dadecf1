// broker_partition: the instance (or every instance) is cut off from the
// broker for the window without its connections closing, as across a
// network partition: nothing passes either way, calls hang. In test mode
// the proxy's timeout toxic (timeout 0: bytes held) on both streams of the
// broker's proxy; when the window ends the held bytes flow, so a call that
// has not hit socket_timeout by then completes late. Simulation: a broker
// call starting in the window waits until its end.

#include "harness/faults/adapter_fault.h"

namespace protean::harness {
namespace {

class BrokerPartition final : public AdapterFault {
 public:
  static constexpr std::string_view kName = "broker_partition";
  BrokerPartition() : AdapterFault(kName, {true, InstanceKey::kOptional}) {}

 protected:
  void AddTo(const TimeWindow& window, const PlannedFault&, AdapterFaultPlan& broker,
             AdapterFaultPlan&) const override {
    broker.paused.push_back(window);
  }
  std::vector<ProxyEffect> ProxyEffects(const PlannedFault& p) const override {
    proxy::Toxic up = NamedToxic(p, proxy::ToxicType::kTimeout);
    up.name += ":up";
    up.stream = proxy::Stream::kUpstream;
    proxy::Toxic down = NamedToxic(p, proxy::ToxicType::kTimeout);
    down.name += ":down";
    down.stream = proxy::Stream::kDownstream;
    return {{ProxiedService::kBroker, up}, {ProxiedService::kBroker, down}};
  }
};

}  // namespace

void RegisterBrokerPartition(FaultRegistry& registry) { registry.Add<BrokerPartition>(); }

}  // namespace protean::harness
