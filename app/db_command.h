#pragma once
// `protean db setup [--domain PATH] [--env NAME]`: creates what every
// configured database needs (tables), idempotently. Exit 0 done, 2 when a
// database cannot be reached or set up (naming it).

#include "app/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

void RegisterDbCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
