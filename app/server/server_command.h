#pragma once
// `protean server [--domain PATH] [--env NAME] [--run-for SECONDS] [--test-mode]`
//
// Runs the engine for the domain's handlers (scripted handlers from
// [handlers.*]) on the real clock and loop, with the health server of
// [server.health] and the DLQ maintenance of [server.dlq]. SIGINT, SIGTERM
// and SIGHUP start a graceful shutdown (readiness 503 at once, drain bounded
// by server.drain_timeout, adapters closed in reverse order). Exit 0 after a
// clean shutdown, 1 after an adapter failed to close, 2 on a configuration or
// start-up error. --run-for stops by itself after that long; --test-mode is
// --run-for 3.

#include "app/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

void RegisterServerCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
