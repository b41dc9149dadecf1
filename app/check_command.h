#pragma once
// `protean check [--domain PATH] [--env NAME] [--format text|json] [--workers N]`
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
// floor), 2 usage or load error. A load error is printed to stderr on one
// line, and in JSON also reported as the one diagnostic with status "error".
//
// JSON: {"version":"0.2.0","status":"pass|fail|error","domain":FILE,
//        "env":NAME,"diagnostics":[{"code","level","key_path","message",
//        "file","line","column"}],"counts":{"errors","warnings","infos"}}
// Text: one line per finding ("file:line:col: warning CODE key: message")
// then "FILE: pass (errors=0, warnings=0, infos=0)".

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json_fwd.hpp>

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
  std::string format = "text";     // "text" | "json"
  std::optional<int64_t> workers;  // unset: [server].workers, else 1
  config::EnvLookup env_lookup;    // null: the process environment
  // Alert callbacks registered in this process; null: DefaultAlertCallbackRegistry().
  const AlertCallbackRegistry* alert_callbacks = nullptr;
  // The binary's C++ handlers (protean::ServerMain); null: none.
  const HandlerCatalog* handlers = nullptr;
};

int RunCheck(const CheckCommandOptions& options, std::ostream& out, std::ostream& err);

// Keys in the order shown above.
nlohmann::ordered_json CheckReportToJson(const config::CheckReport& report);
std::string CheckReportToText(const config::CheckReport& report);

void RegisterCheckCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
