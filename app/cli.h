#pragma once
// The `protean` command line: builds the CLI11 app with every subcommand,
// parses `argv`, runs the chosen command and returns the process exit code.
//
// `--version` prints "protean <version>"; `--help` works on every command.
// A usage error (unknown option, bad value, missing subcommand) prints one
// line to `err` and returns 2. Any exception escaping a command is
// reported on one line and also returns 2.

#include <ostream>

#include "core/engine/handler_catalog.h"

namespace protean::cli {

int RunProteanCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
// The same with the C++ handlers of `handlers` (app/server_main.h): `server`
// and `dlq list` register them, `check` resolves them.
int RunProteanCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                  const HandlerCatalog& handlers);

}  // namespace protean::cli
