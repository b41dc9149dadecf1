#pragma once
// What every `protean` subcommand shares: where it writes and the exit code
// it leaves behind.
//
// A subcommand registers itself on the CLI11 app with a callback that runs
// its command function and stores the exit code here. Output goes to `out`,
// diagnostics and errors to `err` (one line per error, never a crash).

#include <ostream>
#include <string_view>

#include "core/engine/handler_catalog.h"

namespace protean::cli {

inline constexpr std::string_view kVersion = PROTEAN_VERSION_STRING;

// Exit codes shared by the commands (those of `protean check`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsageOrLoadError = 2;

struct CommandContext {
  std::ostream& out;
  std::ostream& err;
  // The C++ handlers of the binary (protean::ServerMain); empty in `protean`.
  const HandlerCatalog& handlers;
  int exit_code = kExitOk;
};

}  // namespace protean::cli
