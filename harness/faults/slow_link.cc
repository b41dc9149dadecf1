// slow_link: a slow-loris link to the broker in the window: the replies of
// the instance's (or every instance's) Redis connections trickle in, in
// pieces of `piece_bytes` (default 8) `piece_gap_us` apart (default 2000),
// so a reply of n bytes takes about n / piece_bytes * piece_gap_us longer
// (the proxy's slicer toxic, downstream). The simulation has no bytes:
// there every broker call in the window takes `latency_ms` (required)
// longer, the delay a typical reply gets.

#include "core/config/configuration_error.h"
#include "harness/faults/adapter_fault.h"

namespace protean::harness {
namespace {

class SlowLink final : public AdapterFault {
 public:
  static constexpr std::string_view kName = "slow_link";
  SlowLink() : AdapterFault(kName, {true, InstanceKey::kOptional}) {}

  void Parse(config::TableReader& r, const FaultParseContext&) override {
    piece_bytes_ = r.Int("piece_bytes", 8, 1, 65536);
    piece_gap_us_ = r.Int("piece_gap_us", 2000, 0, 1000000);
    if (!r.Has("latency_ms")) {
      r.Fail("latency_ms", config::kConfigInvalidValue,
             "is required: the simulation's equivalent delay of one broker call");
    }
    latency_ms_ = r.Int("latency_ms", 0, 1, 600000);
  }

 protected:
  void AddTo(const TimeWindow& window, const PlannedFault&, AdapterFaultPlan& broker,
             AdapterFaultPlan&) const override {
    broker.slow.push_back({window, Millis(latency_ms_)});
  }
  std::vector<ProxyEffect> ProxyEffects(const PlannedFault& p) const override {
    proxy::Toxic t = NamedToxic(p, proxy::ToxicType::kSlicer);
    t.stream = proxy::Stream::kDownstream;
    t.average_size = piece_bytes_;
    t.size_variation = 0;
    t.delay_us = piece_gap_us_;
    return {{ProxiedService::kBroker, t}};
  }

 private:
  int64_t piece_bytes_ = 8;
  int64_t piece_gap_us_ = 2000;
  int64_t latency_ms_ = 0;
};

}  // namespace

void RegisterSlowLink(FaultRegistry& registry) { registry.Add<SlowLink>(); }

}  // namespace protean::harness
