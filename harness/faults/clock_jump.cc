// clock_jump: the clock jumps forward by jump_ms (PlannedFault::drawn_ms).
// Only a simulated clock can jump; elsewhere the case is skipped.

#include "harness/faults/fault_registry.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class ClockJump final : public Fault {
 public:
  static constexpr std::string_view kName = "clock_jump";
  ClockJump() : Fault(kName, {false, InstanceKey::kNone}) {}

  void Parse(config::TableReader& r, const FaultParseContext&) override {
    jump_ms_ = ReadRange(r, "jump_ms", IntRange{1000, 1000}, 1);
  }
  std::optional<std::string> Prepare(World& world, const PlannedFault&) const override {
    if (world.can_jump_clock()) return std::nullopt;
    return "clock_jump cannot be produced against real services (the real clock does not jump)";
  }
  void Apply(World& world, const PlannedFault& p) const override {
    world.JumpClock(Millis(p.drawn_ms));
  }
  void Describe(const PlannedFault& p, nlohmann::ordered_json& fields) const override {
    fields["value"] = p.drawn_ms * 1000;
  }

 protected:
  void PlanOwn(Prng& prng, PlannedFault& p) const override { p.drawn_ms = jump_ms_.Draw(prng); }

 private:
  IntRange jump_ms_;
};

}  // namespace

void RegisterClockJump(FaultRegistry& registry) { registry.Add<ClockJump>(); }

}  // namespace protean::harness
