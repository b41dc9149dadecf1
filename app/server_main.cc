#include "app/server_main.h"

#include <iostream>

#include "app/cli.h"
#include "app/command_context.h"
#include "core/engine/alert_callback_registry.h"

namespace protean {

int ServerMain(int argc, char** argv, const Registrar& register_handlers) {
  HandlerCatalog catalog;
  if (register_handlers) register_handlers(catalog);
  Status st = catalog.status();
  for (const auto& [name, callback] : catalog.alert_callbacks()) {
    if (!st.ok()) break;
    st = DefaultAlertCallbackRegistry().Register(name, callback);
  }
  if (!st.ok()) {
    std::cerr << "protean: error: " << st.message() << "\n";
    return cli::kExitUsageOrLoadError;
  }
  return cli::RunProteanCli(argc, argv, std::cout, std::cerr, catalog);
}

}  // namespace protean
