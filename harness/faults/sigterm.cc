// sigterm: graceful shutdown of the instance while its handlers run
// (readiness 503, drain bounded by drain_timeout, adapters closed).

#include "harness/faults/fault_registry.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class Sigterm final : public Fault {
 public:
  static constexpr std::string_view kName = "sigterm";
  Sigterm() : Fault(kName, {false, InstanceKey::kRequired}) {}

  void Apply(World& world, const PlannedFault& p) const override {
    world.StopInstance(*p.instance);
  }
};

}  // namespace

void RegisterSigterm(FaultRegistry& registry) { registry.Add<Sigterm>(); }

}  // namespace protean::harness
