// handler_slow: every attempt that starts in the window takes extra_ms
// longer (PlannedFault::drawn_ms; past a timeout it times out);
// scripted-handler data `slow_between`.

#include "harness/faults/handler_fault.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class HandlerSlow final : public HandlerFault {
 public:
  static constexpr std::string_view kName = "handler_slow";
  HandlerSlow() : HandlerFault(kName) {}

  std::optional<std::string> Prepare(World& world, const PlannedFault& p) const override {
    world.handler_faults().AddSlowWindow(handler(), world.AtMillis(p.at_ms),
                                         world.AtMillis(p.at_ms + p.duration_ms), p.drawn_ms);
    return std::nullopt;
  }

 protected:
  void ParseOwn(config::TableReader& r) override {
    extra_ms_ = ReadRange(r, "extra_ms", IntRange{1000, 1000}, 1);
  }
  void PlanOwn(Prng& prng, PlannedFault& p) const override { p.drawn_ms = extra_ms_.Draw(prng); }

 private:
  IntRange extra_ms_;
};

}  // namespace

void RegisterHandlerSlow(FaultRegistry& registry) { registry.Add<HandlerSlow>(); }

}  // namespace protean::harness
