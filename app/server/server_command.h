#pragma once
// `protean server [--domain PATH] [--env NAME] [--run-for SECONDS] [--test-mode]
//                 [--instance NAME] [--workers N] [--health-port PORT]
//                 [--port-file PATH] [--history FILE]`
//
// Runs the engine for the domain's handlers (scripted handlers from
// [handlers.*]) on the real clock and loop, with the health server of
// [server.health] and the DLQ maintenance of [server.dlq].
//
// Identity: every process is its own consumer, `<Handler>-<instance>`, the
// instance `{hostname}-{pid}-{6 hex}` or --instance NAME (an operator-given
// unique, stable name; it also keeps event-store positions per instance).
// Logged at start. Stale consumers of this host are removed at start
// (app/server/identity.h).
//
// Health: the port is bound exclusively; a taken port is an error (exit 2),
// or with port_auto_increment the next free one. --health-port overrides
// [server.health] port; --port-file PATH receives the port used (written
// atomically once bound; 0 when the health server is disabled).
//
// Stop: SIGINT, SIGTERM or SIGHUP start a graceful stop (readiness 503 at
// once, the drain bounded by server.drain_timeout, adapters closed in reverse
// order, each within the engine's close budget). A second signal cuts the
// drain short; a third exits at once. Handlers still running when the drain
// ends keep their messages pending (never acked), and the process exits
// without waiting for their threads. --run-for stops by itself after that
// long; --test-mode is --run-for 3.
//
// --history FILE writes the engine's events as JSON lines
// (app/server/history_writer.h). --workers N > 1 (default [server] workers,
// else 1) runs a supervisor of N server processes (app/server/supervisor.h).
//
// Exit codes: 0 clean stop; 1 forced or failed stop (the drain was cut off
// by drain_timeout or a second signal, an adapter failed or overran its close
// budget, handler threads were abandoned, or the stop overran its bound);
// 2 configuration, usage or start-up error (bad flags, a taken health port,
// an unreachable service in production).

#include "app/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

void RegisterServerCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
