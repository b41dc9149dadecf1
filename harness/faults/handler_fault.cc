#include "harness/faults/handler_fault.h"

#include <algorithm>

#include "core/config/configuration_error.h"

namespace protean::harness {

void HandlerFault::Parse(config::TableReader& r, const FaultParseContext& context) {
  if (std::optional<std::string> h = r.OptionalString("handler")) {
    if (std::find(context.handlers.begin(), context.handlers.end(), *h) == context.handlers.end()) {
      r.Fail("handler", config::kConfigInvalidValue,
             "no scripted handler \"" + *h + "\" in [handlers]");
    }
    handler_ = *h;
  }
  ParseOwn(r);
}

}  // namespace protean::harness
