// handler_errors: every attempt of the handler (or of every handler) that
// starts in the window fails; scripted-handler data `fail_between`.

#include "harness/faults/handler_fault.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class HandlerErrors final : public HandlerFault {
 public:
  static constexpr std::string_view kName = "handler_errors";
  HandlerErrors() : HandlerFault(kName) {}

  std::optional<std::string> Prepare(World& world, const PlannedFault& p) const override {
    world.handler_faults().AddFailWindow(handler(), world.AtMillis(p.at_ms),
                                         world.AtMillis(p.at_ms + p.duration_ms));
    return std::nullopt;
  }
};

}  // namespace

void RegisterHandlerErrors(FaultRegistry& registry) { registry.Add<HandlerErrors>(); }

}  // namespace protean::harness
