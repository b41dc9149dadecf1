// slow_replies: every broker and event-store call in the window takes
// latency_ms longer (drawn per seed; PlannedFault::drawn_ms).

#include "harness/faults/adapter_fault.h"

namespace protean::harness {
namespace {

class SlowReplies final : public AdapterFault {
 public:
  static constexpr std::string_view kName = "slow_replies";
  SlowReplies() : AdapterFault(kName, {true, InstanceKey::kOptional}) {}

  void Parse(config::TableReader& r, const FaultParseContext&) override {
    latency_ms_ = ReadRange(r, "latency_ms", IntRange{100, 100}, 1);
  }

 protected:
  void PlanOwn(Prng& prng, PlannedFault& p) const override { p.drawn_ms = latency_ms_.Draw(prng); }
  void AddTo(const TimeWindow& window, const PlannedFault& p, AdapterFaultPlan& broker,
             AdapterFaultPlan& store) const override {
    broker.slow.push_back({window, Millis(p.drawn_ms)});
    store.slow.push_back({window, Millis(p.drawn_ms)});
  }
  // Test mode: every reply of both services arrives latency_ms later.
  std::vector<ProxyEffect> ProxyEffects(const PlannedFault& p) const override {
    proxy::Toxic t = NamedToxic(p, proxy::ToxicType::kLatency);
    t.latency_ms = p.drawn_ms;
    return {{ProxiedService::kBroker, t}, {ProxiedService::kEventStore, t}};
  }

 private:
  IntRange latency_ms_;
};

}  // namespace

void RegisterSlowReplies(FaultRegistry& registry) { registry.Add<SlowReplies>(); }

}  // namespace protean::harness
