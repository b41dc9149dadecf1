#pragma once
// `protean check [-d|--domain PATH] [--env NAME]
//                [-f|--format text|json|sarif|github-annotations]
//                [-l|--level error|warning|info] [-q|--quiet] [--workers N]`
//
// Loads the domain config and runs the rules of core/config/check.h, with
// what `protean server` consults before it starts: the adapters built into
// this binary and the registered alert callbacks (so check passing means the
// server starts).
// With C++ handlers (protean::ServerMain), the handlers are registered and
// resolved as the server does: each C++ handler is an info finding
// CPP_HANDLER naming its stream, and one the server would refuse (no stream,
// a bad setting) is an error.
// Exit 0 clean, 1 findings at warning level or above ([lint].level moves the
// floor), 2 usage or load error, or an error-level finding (the server would
// not start). A load error is printed to stderr on one line; json, sarif and
// github-annotations also carry it on stdout. Formats: app/check_format.h
// (Protean's envelope, SARIF 2.1.0, GitHub annotations, text); `rich`, the
// name of Protean's default, is taken for text. --level and --quiet shape
// the text output only.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "app/command_context.h"
#include "core/config/check.h"
#include "core/config/substitution.h"
#include "core/engine/alert_callback_registry.h"
#include "core/engine/handler_catalog.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

struct CheckCommandOptions {
  std::string domain = ".";
  std::optional<std::string> env;  // unset: PROTEAN_ENV
  std::string format = "text";     // "text" | "json" | "sarif" | "github-annotations"
  config::FindingLevel level = config::FindingLevel::kInfo;  // text: lowest level shown
  bool quiet = false;                                        // text: the summary line only
  std::optional<int64_t> workers;                            // unset: [server].workers, else 1
  config::EnvLookup env_lookup;                              // null: the process environment
  // Alert callbacks registered in this process; null: DefaultAlertCallbackRegistry().
  const AlertCallbackRegistry* alert_callbacks = nullptr;
  // The binary's C++ handlers (protean::ServerMain); null: none.
  const HandlerCatalog* handlers = nullptr;
};

int RunCheck(const CheckCommandOptions& options, std::ostream& out, std::ostream& err);

void RegisterCheckCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
