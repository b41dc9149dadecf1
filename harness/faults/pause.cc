// pause: the instance is frozen for the window (SIGSTOP), then continues
// (SIGCONT). It keeps its connections and pending entries but does nothing,
// heartbeats included, so its entries go idle and another instance may claim
// them; on waking it finds them gone. Only a real process can be frozen: the
// simulation skips it (its engines share one loop).

#include "harness/faults/fault_registry.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class Pause final : public Fault {
 public:
  static constexpr std::string_view kName = "pause";
  Pause() : Fault(kName, {true, InstanceKey::kRequired}) {}

  std::optional<std::string> Prepare(World& world, const PlannedFault&) const override {
    if (world.can_pause()) return std::nullopt;
    return "pause needs a real process (SIGSTOP/SIGCONT); " + world.mode() +
           " mode cannot freeze one instance of its shared loop";
  }
  void Apply(World& world, const PlannedFault& p) const override {
    world.PauseInstance(*p.instance);
  }
  void Heal(World& world, const PlannedFault& p) const override {
    world.ResumeInstance(*p.instance);
  }
};

}  // namespace

void RegisterPause(FaultRegistry& registry) { registry.Add<Pause>(); }

}  // namespace protean::harness
