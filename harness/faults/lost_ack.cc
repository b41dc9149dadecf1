// lost_ack: acks in the window get no reply (a timeout); with
// `applied = true` the broker applied them anyway.

#include "harness/faults/adapter_fault.h"

namespace protean::harness {
namespace {

class LostAck final : public AdapterFault {
 public:
  static constexpr std::string_view kName = "lost_ack";
  LostAck() : AdapterFault(kName, {true, InstanceKey::kOptional}) {}

  void Parse(config::TableReader& r, const FaultParseContext&) override {
    applied_ = r.Bool("applied", false);
  }

 protected:
  void AddTo(const TimeWindow& window, const PlannedFault&, AdapterFaultPlan& broker,
             AdapterFaultPlan&) const override {
    broker.lost_acks.push_back({window, applied_});
  }
  std::vector<ProxyEffect> ProxyEffects(const PlannedFault&) const override { return {}; }
  std::string WhyNotProxied() const override {
    return "lost_ack cannot be produced by the TCP fault proxy (it would have to drop the reply "
           "to one XACK and keep the connection): it needs a protocol-aware fault";
  }

 private:
  bool applied_ = false;
};

}  // namespace

void RegisterLostAck(FaultRegistry& registry) { registry.Add<LostAck>(); }

}  // namespace protean::harness
