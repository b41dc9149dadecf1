#pragma once
// What `protean server`, `protean dlq` and `protean db` share: load the
// domain configuration, build its adapters from the provider registry
// (memory + real), and report a failure as one line on `err` with exit 2.

#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "core/engine/adapter_registry.h"
#include "core/engine/domain.h"
#include "core/runtime/real_executor.h"

namespace protean::cli {

struct OpenedDomain {
  std::unique_ptr<RealClock> clock;
  std::unique_ptr<AdapterRegistry> registry;
  std::unique_ptr<Domain> domain;
  // The scripted handlers' shared state, when they were registered.
  std::shared_ptr<ScriptedRuntime> scripted;
};

struct OpenOptions {
  std::string domain_path = ".";
  std::optional<std::string> env;
  // Registers the handlers: [handlers.*] tables and the C++ ones of `cpp`.
  bool scripted_handlers = false;
  const HandlerCatalog* cpp = nullptr;  // null: none
  uint64_t seed = 0;                    // scripted handlers' randomness
};

// nullopt after writing the error to `err`. With PROTEAN_ENV=production an
// unreachable service stops it, naming the service and its redacted address.
std::optional<OpenedDomain> OpenDomain(const OpenOptions& options, std::ostream& err);

}  // namespace protean::cli
