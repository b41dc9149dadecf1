#include "app/cli.h"

#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "app/check_command.h"
#include "app/command_context.h"
#include "app/config_command.h"
#include "app/db_command.h"
#include "app/dlq_command.h"
#include "app/publish_command.h"
#include "app/server/server_command.h"
#include "app/subscriptions_command.h"

namespace protean::cli {

int RunProteanCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  return RunProteanCli(argc, argv, out, err, HandlerCatalog{});
}

int RunProteanCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                  const HandlerCatalog& handlers) {
  CLI::App app("Operations CLI of the Protean message server (C++ engine)", "protean");
  app.set_version_flag("--version", "protean " + std::string(kVersion));
  app.require_subcommand(1);

  CommandContext context{out, err, handlers};
  RegisterConfigCommand(app, context);
  RegisterCheckCommand(app, context);
  RegisterServerCommand(app, context);
  RegisterDlqCommand(app, context);
  RegisterDbCommand(app, context);
  RegisterPublishCommand(app, context);
  RegisterSubscriptionsCommand(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e, out, err);  // --help, --version
    err << "protean: error: " << e.what() << " (run with --help for usage)\n";
    return kExitUsageOrLoadError;
  } catch (const std::exception& e) {
    err << "protean: internal error: " << e.what() << "\n";
    return kExitUsageOrLoadError;
  }
  return context.exit_code;
}

}  // namespace protean::cli
