// consumer_crash: the instance vanishes without acking (in the simulation
// Engine::Crash; a real process gets SIGKILL); with restart_after_ms it
// starts again under the same name that long after (PlannedFault::drawn_ms,
// -1 = no restart).

#include "harness/faults/fault_registry.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class ConsumerCrash final : public Fault {
 public:
  static constexpr std::string_view kName = "consumer_crash";
  ConsumerCrash() : Fault(kName, {false, InstanceKey::kRequired}) {}

  void Parse(config::TableReader& r, const FaultParseContext&) override {
    if (r.Has("restart_after_ms")) restart_after_ms_ = ReadRange(r, "restart_after_ms", {}, 0);
  }
  int64_t TailMs() const override { return restart_after_ms_ ? restart_after_ms_->hi : 0; }

  void Apply(World& world, const PlannedFault& p) const override {
    const int64_t index = *p.instance;
    if (!world.CrashInstance(index) || p.drawn_ms < 0) return;
    world.loop().PostAfter(Millis(p.drawn_ms), [&world, index] { world.StartInstance(index); });
  }

 protected:
  void PlanOwn(Prng& prng, PlannedFault& p) const override {
    p.drawn_ms = restart_after_ms_ ? restart_after_ms_->Draw(prng) : -1;
  }

 private:
  std::optional<IntRange> restart_after_ms_;
};

}  // namespace

void RegisterConsumerCrash(FaultRegistry& registry) { registry.Add<ConsumerCrash>(); }

}  // namespace protean::harness
