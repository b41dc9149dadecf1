#pragma once
// `protean-harness proxy --config FILE [--control HOST:PORT]`
//
// Runs the TCP fault proxies of a config file (proxy_config.h) on their own:
// prints one line per proxy with the port actually bound,
//   proxy redis listening on 127.0.0.1:41234 -> 127.0.0.1:6390
// then, with --control, "control listening on 127.0.0.1:PORT" (Toxiproxy's
// REST API, control_server.h), and runs until SIGINT or SIGTERM. The
// timelines start once every proxy listens.
//
// Exit 0 after a signal and a clean stop; 2 with one error line on stderr
// when the config does not load or an address cannot be bound.

#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace protean::harness::proxy {

struct ProxyCommandOptions {
  std::string config_path;
  std::string control;  // empty: no control API
};

// Blocks SIGINT and SIGTERM in the calling thread (and so in the threads it
// starts) and waits for one of them; restores the signal mask before return.
int RunProxyCommand(const ProxyCommandOptions& options, std::ostream& out, std::ostream& err);

// Adds the `proxy` subcommand to `app`; its callback runs the command and
// stores the exit code in *exit_code, which must outlive app.parse().
void RegisterProxyCommand(CLI::App& app, int* exit_code);

}  // namespace protean::harness::proxy
