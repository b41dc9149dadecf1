#pragma once
// `protean config show [--domain PATH] [--env NAME] [--format json|toml]`
//
// Prints the fully resolved configuration (defaults, base, the environment's
// overlay, ${VAR} substituted) with the key structure of domain.toml and
// secrets redacted (core/config/redaction.h). JSON by default. `--env`
// overrides PROTEAN_ENV; `--domain` defaults to the current directory.
// Exit 0, or 2 with one error line on stderr when the config does not load.
//
// `protean config keys [--format markdown|json]`
//
// Prints the inventory of every key Protean reads (core/config/protean_keys.h)
// with what this engine does with it: honoured, domain layer, dropped by
// Protean, partial, unsupported; what Protean does with it and where Protean
// reads it. docs/protean-keys.md is this command's markdown (a test keeps
// them equal).

#include <optional>
#include <ostream>
#include <string>

#include "app/command_context.h"
#include "core/config/substitution.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

struct ConfigShowOptions {
  std::string domain = ".";
  std::optional<std::string> env;  // unset: PROTEAN_ENV
  std::string format = "json";     // "json" | "toml"
  config::EnvLookup env_lookup;    // null: the process environment
};

int RunConfigShow(const ConfigShowOptions& options, std::ostream& out, std::ostream& err);

// `format` is "markdown" or "json"; exit 0.
int RunConfigKeys(const std::string& format, std::ostream& out);

// Adds `config` (and `config show`) to `app`; the callback stores its exit
// code in `context`, which must outlive app.parse().
void RegisterConfigCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
