#pragma once
// The base of handler_errors and handler_slow: faults that are scripted-
// handler data. Prepare writes the window into the run's HandlerFaultData,
// which the world writes into the [handlers.X] tables it builds
// (fail_between / slow_between, core/config/scripted_handler_spec.h), so an
// engine in any process runs them. `handler` names a scripted handler of the
// scenario; without it, every handler.

#include <string>

#include "harness/faults/fault.h"
#include "harness/faults/fault_registry.h"

namespace protean::harness {

class HandlerFault : public Fault {
 public:
  explicit HandlerFault(std::string_view name) : Fault(name, {true, InstanceKey::kNone}) {}

  void Parse(config::TableReader& r, const FaultParseContext& context) override;

 protected:
  // Reads the kind's keys beyond `handler`.
  virtual void ParseOwn(config::TableReader& r) { (void)r; }
  const std::string& handler() const { return handler_; }

 private:
  std::string handler_;  // "" = every handler
};

}  // namespace protean::harness
