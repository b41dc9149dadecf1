// add_worker: scale-out; a new instance (the next index) starts.

#include "harness/faults/fault_registry.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class AddWorker final : public Fault {
 public:
  static constexpr std::string_view kName = "add_worker";
  AddWorker() : Fault(kName, {false, InstanceKey::kNone}) {}

  bool adds_instance() const override { return true; }
  void Apply(World& world, const PlannedFault&) const override {
    world.StartInstance(world.NextInstanceIndex());
  }
};

}  // namespace

void RegisterAddWorker(FaultRegistry& registry) { registry.Add<AddWorker>(); }

}  // namespace protean::harness
