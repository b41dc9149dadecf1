// lost_ack: acks in the window get no reply (a timeout); with
// `applied = true` the broker applied them anyway. Through the TCP fault
// proxy (test mode) the proxy's lost_ack toxic cuts the connection at each
// XACK in the window: forwarded and its reply dropped (applied), or dropped
// (not applied); the client sees its connection reset and reconnects.

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
  std::vector<ProxyEffect> ProxyEffects(const PlannedFault& p) const override {
    proxy::Toxic toxic = NamedToxic(p, proxy::ToxicType::kLostAck);
    toxic.stream = proxy::Stream::kUpstream;
    toxic.applied = applied_ ? 1 : 0;
    return {{ProxiedService::kBroker, toxic}};
  }

 private:
  bool applied_ = false;
};

}  // namespace

void RegisterLostAck(FaultRegistry& registry) { registry.Add<LostAck>(); }

}  // namespace protean::harness
