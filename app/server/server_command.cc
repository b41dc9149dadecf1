#include "app/server/server_command.h"

#include <CLI/CLI.hpp>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <random>
#include <thread>

#include "app/server/alert_callbacks.h"
#include "app/server/health_http_server.h"
#include "core/config/configuration_error.h"
#include "app/open_domain.h"

namespace protean::cli {
namespace {

struct ServerOptions {
  OpenOptions open;
  std::string env;
  double run_for = 0;
  bool test_mode = false;
};

const char* SignalName(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
  }
}

int RunServer(const ServerOptions& o, std::ostream& out, std::ostream& err) {
  // Block the shutdown signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR2);  // wakes the waiter at exit
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  OpenOptions open = o.open;
  open.scripted_handlers = true;
  open.seed = std::random_device{}();  // real mode: no replay promised
  std::optional<OpenedDomain> d = OpenDomain(open, err);
  if (!d) return kExitUsageOrLoadError;
  Domain& domain = *d->domain;
  if (domain.handlers().empty()) {
    err << "protean: warning: no handlers in " << domain.config().source_file
        << " ([handlers.<Name>]): nothing to run\n";
    domain.Close();
    return kExitOk;
  }
  RealExecutor loop(*d->clock, 8);
  Prng prng(open.seed);
  MetricsRegistry metrics;
  Result<std::unique_ptr<Engine>> built = domain.BuildEngine(loop, prng, metrics, nullptr, "server");
  Status st = built.status();
  if (st.ok()) {
    if (const auto& cb = domain.config().server.dlq.alert_callback) {
      Result<DlqAlertCallback> callback = MakeDlqAlertCallback(*cb);
      if (callback.ok()) {
        (*built)->AddDlqAlertCallback(*callback);
      } else {
        st = config::ConfigErrorStatus(
            config::kConfigInvalidValue,
            config::ErrorLocation{domain.config().source_file, "server.dlq.alert_callback", 0, 0},
            callback.status().message());
      }
    }
  }
  if (!st.ok()) {
    err << "protean: error: " << st.message() << "\n";
    domain.Close();
    return kExitUsageOrLoadError;
  }
  std::unique_ptr<Engine> engine = std::move(built).value();
  const config::HealthConfig& health = domain.config().server.health;
  HealthHttpServer http(HealthProbes{[&] { return engine->Live(); }, [&] { return engine->Ready(); },
                                     [&] { return metrics.RenderPrometheus(); }});
  if (health.enabled) {
    Status st = http.Start(health.host, static_cast<int>(health.port), health.port_auto_increment);
    if (!st.ok()) {
      err << "protean: warning: " << st.message() << "; running without probes\n";
    } else {
      out << "protean: health server on http://" << health.host << ":" << http.port() << "\n";
    }
  }
  int exit_code = 0;
  std::atomic<bool> stopping{false};
  auto shutdown = [&](const std::string& reason) {
    loop.Post([&, reason] {
      engine->Shutdown(reason, [&](int code) {
        exit_code = code;
        loop.Stop();
      });
    });
  };
  std::thread waiter([&] {
    int sig = 0;
    while (sigwait(&signals, &sig) == 0) {
      if (sig == SIGUSR2) return;  // our own wake-up at exit
      if (stopping.exchange(true)) {
        err << "protean: " << SignalName(sig) << " again: already shutting down\n";
        continue;
      }
      shutdown(SignalName(sig));
    }
  });
  loop.Post([&] { engine->Start(); });
  const double run_for = o.test_mode && o.run_for <= 0 ? 3.0 : o.run_for;
  if (run_for > 0) {
    loop.PostAfter(SecondsF(run_for), [&] {
      if (!stopping.exchange(true)) shutdown("run-for");
    });
  }
  out << "protean: server running " << domain.handlers().size() << " handler(s)"
      << (domain.config().env.empty() ? "" : " (env " + domain.config().env + ")") << "\n";
  out.flush();
  loop.Run();
  http.Stop();
  pthread_kill(waiter.native_handle(), SIGUSR2);
  waiter.join();
  return exit_code;
}

}  // namespace

void RegisterServerCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ServerOptions>();
  CLI::App* cmd = app.add_subcommand("server", "run the engine for the domain's handlers");
  cmd->add_option("--domain", options->open.domain_path, "domain.toml file or folder (default .)");
  cmd->add_option("--env", options->env, "environment overlay (overrides PROTEAN_ENV)");
  cmd->add_option("--run-for", options->run_for, "shut down by itself after SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--test-mode", options->test_mode, "run for 3 seconds, then shut down");
  cmd->callback([options, &context] {
    if (!options->env.empty()) options->open.env = options->env;
    context.exit_code = RunServer(*options, context.out, context.err);
  });
}

}  // namespace protean::cli
