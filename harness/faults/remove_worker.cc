// remove_worker: scale-in; the instance shuts down gracefully, as on
// SIGTERM.

#include "harness/faults/fault_registry.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class RemoveWorker final : public Fault {
 public:
  static constexpr std::string_view kName = "remove_worker";
  RemoveWorker() : Fault(kName, {false, InstanceKey::kRequired}) {}

  void Apply(World& world, const PlannedFault& p) const override {
    world.StopInstance(*p.instance);
  }
};

}  // namespace

void RegisterRemoveWorker(FaultRegistry& registry) { registry.Add<RemoveWorker>(); }

}  // namespace protean::harness
