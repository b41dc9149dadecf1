#include "app/config_command.h"

#include <CLI/CLI.hpp>

#include <memory>

#include <toml++/toml.h>

#include "app/toml_json.h"
#include "core/config/domain_config.h"
#include "core/config/redaction.h"

namespace protean::cli {

int RunConfigShow(const ConfigShowOptions& options, std::ostream& out, std::ostream& err) {
  config::LoadOptions load;
  load.path = options.domain;
  load.env = options.env;
  load.env_lookup = options.env_lookup;
  try {
    config::DomainConfig domain = config::LoadDomainConfig(load);
    toml::table shown = config::RedactSecrets(*domain.table);
    if (options.format == "toml") {
      out << toml::toml_formatter(shown) << "\n";
    } else {
      out << config::TomlToJson(shown).dump(2) << "\n";
    }
    return kExitOk;
  } catch (const config::ConfigurationError& e) {
    err << "protean config show: error: " << e.what() << "\n";
    return kExitUsageOrLoadError;
  }
}

void RegisterConfigCommand(CLI::App& app, CommandContext& context) {
  CLI::App* config = app.add_subcommand("config", "Inspect the domain configuration");
  config->require_subcommand(1);

  auto options = std::make_shared<ConfigShowOptions>();
  CLI::App* show = config->add_subcommand(
      "show", "Print the resolved configuration (secrets redacted) as JSON or TOML");
  show->add_option("--domain", options->domain,
                   "domain.toml, or a folder searched with up to two parents")
      ->capture_default_str();
  CLI::Option* env = show->add_option_function<std::string>(
      "--env", [options](const std::string& name) { options->env = name; },
      "environment overlay to apply (overrides PROTEAN_ENV)");
  env->type_name("NAME");
  show->add_option("--format", options->format, "output format")
      ->check(CLI::IsMember({"json", "toml"}))
      ->capture_default_str();
  show->callback([options, &context] {
    context.exit_code = RunConfigShow(*options, context.out, context.err);
  });
}

}  // namespace protean::cli
