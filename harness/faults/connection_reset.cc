// connection_reset: from at_ms, the next `calls` broker calls of the
// instance fail as a connection reset by the peer.

#include "harness/faults/adapter_fault.h"

namespace protean::harness {
namespace {

constexpr int64_t kResetHoldMs = 50;

class ConnectionReset final : public AdapterFault {
 public:
  static constexpr std::string_view kName = "connection_reset";
  ConnectionReset() : AdapterFault(kName, {false, InstanceKey::kOptional}) {}

  void Parse(config::TableReader& r, const FaultParseContext&) override {
    calls_ = r.Int("calls", 1, 1, 1000000);
  }

 protected:
  void AddTo(const TimeWindow& window, const PlannedFault&, AdapterFaultPlan& broker,
             AdapterFaultPlan&) const override {
    broker.resets.push_back({window.from, calls_});
  }
  // Test mode: every broker connection is reset (RST) at at_ms, and so is
  // each reconnection for kResetHoldMs; `calls` is not counted there.
  std::vector<ProxyEffect> ProxyEffects(const PlannedFault& p) const override {
    return {{ProxiedService::kBroker, NamedToxic(p, proxy::ToxicType::kResetPeer)}};
  }
  int64_t ProxyHoldMs() const override { return kResetHoldMs; }

 private:
  int64_t calls_ = 1;
};

}  // namespace

void RegisterConnectionReset(FaultRegistry& registry) { registry.Add<ConnectionReset>(); }

}  // namespace protean::harness
