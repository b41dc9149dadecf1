#pragma once
// ServerMain: the whole `protean` command line (server, check, config show,
// dlq, db; --help, --version) for a user's own binary, with the user's C++
// handlers and DLQ alert callbacks:
//
//   #include "app/server_main.h"
//
//   int main(int argc, char** argv) {
//     return protean::ServerMain(argc, argv, [](protean::HandlerCatalog& catalog) {
//       catalog.AddHandler("Billing", Bill);  // [handlers.Billing] gives its stream
//     });
//   }
//
// `register_handlers` runs once, before the command line is parsed; then the
// handlers are matched with domain.toml by name (core/engine/handler_catalog.h):
// `server` runs them (with signals, drain, probes, metrics and --workers,
// whose worker processes are this same binary), `check` registers and
// resolves them as the server would, `dlq list` covers their streams. The
// alert callbacks are added to DefaultAlertCallbackRegistry(), where
// [server.dlq] alert_callback = "dotted.name" finds them.
//
// Returns the process exit code: the command's (0 ok, 1 findings or a forced
// stop, 2 usage, configuration or start-up error); 2 after one line on stderr
// when the registrar left an error in the catalog (a name given twice, ...).
// The shipped `protean` binary is ServerMain with no C++ handlers.

#include "core/engine/handler_catalog.h"

namespace protean {

int ServerMain(int argc, char** argv, const Registrar& register_handlers);

}  // namespace protean
