#include "harness/proxy/proxy_command.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>

#include "harness/proxy/control_server.h"
#include "harness/proxy/proxy_config.h"

namespace protean::harness::proxy {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsageOrLoadError = 2;

// Blocks SIGINT/SIGTERM for the lifetime of the object.
class BlockedShutdownSignals {
 public:
  BlockedShutdownSignals() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  }
  ~BlockedShutdownSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedShutdownSignals(const BlockedShutdownSignals&) = delete;
  BlockedShutdownSignals& operator=(const BlockedShutdownSignals&) = delete;

  // The signal received (sigwait fails only for an invalid set: then SIGTERM).
  int Wait() const {
    int sig = SIGTERM;
    sigwait(&signals_, &sig);
    return sig;
  }

 private:
  sigset_t signals_{};
  sigset_t previous_{};
};

}  // namespace

int RunProxyCommand(const ProxyCommandOptions& options, std::ostream& out, std::ostream& err) {
  ProxyFileConfig config;
  Status s = LoadProxyConfig(options.config_path, &config);
  if (!s.ok()) {
    err << "protean-harness proxy: " << s.message() << "\n";
    return kExitUsageOrLoadError;
  }
  const BlockedShutdownSignals signals;  // before any thread starts
  std::vector<std::unique_ptr<FaultProxy>> proxies;
  s = StartProxies(config, std::chrono::steady_clock::now(), &proxies);
  if (!s.ok()) {
    err << "protean-harness proxy: " << s.message() << "\n";
    return kExitUsageOrLoadError;
  }
  for (const auto& p : proxies) {
    out << "proxy " << p->name() << " listening on " << p->listen_address() << " -> "
        << p->upstream() << "\n";
  }
  std::vector<FaultProxy*> raw;
  for (const auto& p : proxies) raw.push_back(p.get());
  ControlServer control(raw);
  if (!options.control.empty()) {
    s = control.Start(options.control);
    if (!s.ok()) {
      err << "protean-harness proxy: " << s.message() << "\n";
      return kExitUsageOrLoadError;
    }
    const std::string host = options.control.substr(0, options.control.rfind(':'));
    out << "control listening on " << host << ":" << control.port() << "\n";
  }
  out.flush();
  const int sig = signals.Wait();
  err << "protean-harness proxy: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping\n";
  control.Stop();
  for (const auto& p : proxies) p->Stop();
  return kExitOk;
}

void RegisterProxyCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ProxyCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "proxy",
      "run TCP fault proxies (Toxiproxy's toxics) from a config file until SIGINT/SIGTERM");
  cmd->add_option("--config", options->config_path, "JSON file: proxies, toxics, timeline")
      ->required();
  cmd->add_option("--control", options->control,
                  "serve Toxiproxy's HTTP API on HOST:PORT (port 0: any free port)");
  cmd->callback(
      [options, exit_code] { *exit_code = RunProxyCommand(*options, std::cout, std::cerr); });
}

}  // namespace protean::harness::proxy
