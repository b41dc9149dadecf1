// event_store_unavailable: every event-store call of the instance (or of
// every instance) fails as unavailable during the window.

#include "harness/faults/adapter_fault.h"

namespace protean::harness {
namespace {

class EventStoreUnavailable final : public AdapterFault {
 public:
  static constexpr std::string_view kName = "event_store_unavailable";
  EventStoreUnavailable() : AdapterFault(kName, {true, InstanceKey::kOptional}) {}

 protected:
  void AddTo(const TimeWindow& window, const PlannedFault&, AdapterFaultPlan&,
             AdapterFaultPlan& store) const override {
    store.unavailable.push_back(window);
  }
  // Test mode: the event store's proxy is down.
  std::vector<ProxyEffect> ProxyEffects(const PlannedFault& p) const override {
    return {{ProxiedService::kEventStore, NamedToxic(p, proxy::ToxicType::kDown)}};
  }
};

}  // namespace

void RegisterEventStoreUnavailable(FaultRegistry& registry) {
  registry.Add<EventStoreUnavailable>();
}

}  // namespace protean::harness
