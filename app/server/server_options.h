#pragma once
// The options of `protean server` (see server_command.h for the flags), and
// RunServer, one server process (server_run.cc). --workers N > 1 runs a
// supervisor of N of them instead (supervisor.h).

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "app/cli_values.h"
#include "app/open_domain.h"

namespace protean::cli {

struct ServerOptions {
  OpenOptions open;
  double run_for = 0;                   // --run-for SECONDS (0: until a signal)
  bool test_mode = false;               // --test-mode: --run-for 3
  std::string instance;                 // --instance NAME ("": generated identity)
  std::optional<int64_t> workers;       // --workers N (unset: [server] workers, else 1)
  std::optional<int64_t> worker_index;  // --worker-index I: set by the supervisor
  std::optional<int64_t> health_port;   // --health-port PORT (overrides [server.health] port)
  std::string port_file;                // --port-file PATH
  std::string history;                  // --history FILE
  std::string inbox;                    // --inbox FILE (app/server/inbox_feeder.h)
  std::string log_format;               // --log-format json|text ("": [logging] format, else
                                        // text when stderr is a terminal, json otherwise)
  std::string log_level;                // --log-level LEVEL ("": [logging] level, else by env)
};

// One server process. Returns its exit code (0 clean, 1 forced or failed
// stop, 2 configuration or start-up error), except that it ends the process
// itself (ExitProcess) when handler threads are still running after the
// stop, or when the stop overran its bound.
int RunServer(const ServerOptions& options, std::ostream& out, std::ostream& err);

}  // namespace protean::cli
