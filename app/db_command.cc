#include "app/db_command.h"

#include <CLI/CLI.hpp>

#include "app/open_domain.h"

namespace protean::cli {

void RegisterDbCommand(CLI::App& app, CommandContext& context) {
  CLI::App* db = app.add_subcommand("db", "database administration");
  db->require_subcommand(1);
  auto o = std::make_shared<OpenOptions>();
  auto env = std::make_shared<std::string>();
  CLI::App* setup = db->add_subcommand("setup", "create the tables of every configured database");
  setup->add_option("--domain", o->domain_path, "domain.toml file or folder (default .)");
  setup->add_option("--env", *env, "environment overlay (overrides PROTEAN_ENV)");
  setup->callback([o, env, &context] {
    if (!env->empty()) o->env = *env;
    std::optional<OpenedDomain> d = OpenDomain(*o, context.err);
    if (!d) {
      context.exit_code = kExitUsageOrLoadError;
      return;
    }
    for (const auto& [name, database] : d->domain->adapters().databases) {
      Status st = database->Setup();
      if (!st.ok()) {
        context.err << "protean: error: databases." << name << " (" << database->provider()
                    << "): setup failed: " << st.ToString() << "\n";
        context.exit_code = kExitUsageOrLoadError;
        return;
      }
      context.out << "databases." << name << " (" << database->provider() << "): ready\n";
    }
    context.exit_code = kExitOk;
  });
}

}  // namespace protean::cli
