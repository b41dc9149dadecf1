#include "app/open_domain.h"

#include "adapters/memory/register.h"
#include "adapters/real/register.h"
#include "core/config/configuration_error.h"
#include "core/config/domain_config.h"

namespace protean::cli {

std::optional<OpenedDomain> OpenDomain(const OpenOptions& options, std::ostream& err) {
  OpenedDomain d;
  d.clock = std::make_unique<RealClock>();
  d.registry = std::make_unique<AdapterRegistry>();
  RegisterMemoryAdapters(*d.registry);
  RegisterRealAdapters(*d.registry);
  try {
    config::LoadOptions load;
    load.path = options.domain_path;
    load.env = options.env;
    config::DomainConfig cfg = config::LoadDomainConfig(load);
    const bool production = cfg.env == "production";
    d.domain = std::make_unique<Domain>(std::move(cfg), *d.registry, AdapterEnv{d.clock.get()});
    Status st = Status::Ok();
    if (options.scripted_handlers) {
      d.scripted = std::make_shared<ScriptedRuntime>(options.seed);
      st = d.domain->RegisterHandlers(options.cpp ? *options.cpp : HandlerCatalog{}, d.scripted);
    }
    if (st.ok()) st = d.domain->Init(production);
    if (!st.ok()) {
      err << "protean: error: " << st.message() << "\n";
      return std::nullopt;
    }
  } catch (const config::ConfigurationError& e) {
    err << "protean: error: " << e.what() << "\n";
    return std::nullopt;
  }
  return d;
}

}  // namespace protean::cli
