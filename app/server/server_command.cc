#include "app/server/server_command.h"

#include <CLI/CLI.hpp>

#include <memory>

#include "app/cli_values.h"
#include "app/server/identity.h"
#include "app/server/log_writer.h"
#include "app/server/server_options.h"
#include "app/server/supervisor.h"
#include "core/config/configuration_error.h"
#include "core/config/domain_config.h"
#include "core/engine/log.h"

namespace protean::cli {
namespace {

constexpr double kRunForMax = 1e9;

CLI::Validator Check(std::function<std::string(const std::string&)> check, std::string type) {
  return CLI::Validator([check](std::string& text) { return check(text); }, std::move(type));
}

// --workers, else [server] workers, else 1 (0 after a load error, reported).
int64_t Workers(const ServerOptions& o, std::optional<config::DomainConfig>& loaded,
                std::ostream& err) {
  try {
    config::LoadOptions load;
    load.path = o.open.domain_path;
    load.env = o.open.env;
    loaded = config::LoadDomainConfig(load);
  } catch (const config::ConfigurationError& e) {
    err << "protean: error: " << e.what() << "\n";
    return 0;
  }
  return o.workers.value_or(loaded->server.workers.value_or(1));
}

int RunServerCommand(const ServerOptions& o, std::ostream& out, std::ostream& err) {
  // The supervisor's lines and a load error are log records too.
  LogWriter log(err, ChooseLogFormat(o.log_format, ""), LogLevel::kInfo);
  std::optional<config::DomainConfig> config;
  const int64_t workers = Workers(o, config, log.lines());
  if (workers == 0) return kExitUsageOrLoadError;
  if (workers > kWorkersMax) {
    log.lines() << "protean: error: [server] workers: expected an integer in 1.." << kWorkersMax
                << ", got " << workers << "\n";
    return kExitUsageOrLoadError;
  }
  if (workers > 1 && !o.inbox.empty()) {
    log.lines() << "protean: error: --inbox feeds one process; with " << workers
                << " workers each would publish every line (run one, or publish to a shared "
                   "broker)\n";
    return kExitUsageOrLoadError;
  }
  if (workers > 1) {
    log.set_format(ChooseLogFormat(o.log_format, config->logging.format));
    log.set_min_level(ChooseLogLevel(o.log_level, *config));
    return RunSupervisor(o, *config, workers, out, log.lines());
  }
  return RunServer(o, out, err);
}

}  // namespace

void RegisterServerCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<ServerOptions>();
  CLI::App* cmd = app.add_subcommand("server", "run the engine for the domain's handlers");
  o->open.cpp = &context.handlers;
  cmd->add_option("--domain", o->open.domain_path, "domain.toml file or folder (default .)");
  cmd->add_option_function<std::string>(
         "--env", [o](const std::string& env) { o->open.env = env; },
         "environment overlay (overrides PROTEAN_ENV)")
      ->type_name("NAME");
  cmd->add_option("--run-for", o->run_for, "shut down by itself after SECONDS")
      ->check(Check([](const std::string& t) { return SecondsError(t, kRunForMax); }, "SECONDS"));
  cmd->add_flag("--test-mode", o->test_mode, "run for 3 seconds, then shut down");
  cmd->add_option("--instance", o->instance,
                  "this process's unique, stable name (consumers <Handler>-NAME); default "
                  "{hostname}-{pid}-{6 hex}")
      ->check(Check([](const std::string& t) { return InstanceNameError(t); }, "NAME"));
  cmd->add_option_function<int64_t>(
         "--workers", [o](const int64_t& n) { o->workers = n; },
         "run N server processes under a supervisor (default: [server] workers, else 1)")
      ->check(
          Check([](const std::string& t) { return IntegerInRangeError(t, 1, kWorkersMax); }, "N"));
  cmd->add_option_function<int64_t>(
         "--worker-index", [o](const int64_t& i) { o->worker_index = i; },
         "set by the --workers supervisor: this worker's number, its member of partitioned "
         "event-store subscriptions")
      ->check(Check([](const std::string& t) { return IntegerInRangeError(t, 0, kWorkersMax - 1); },
                    "I"));
  cmd->add_option_function<int64_t>(
         "--health-port", [o](const int64_t& p) { o->health_port = p; },
         "health server port (overrides [server.health] port)")
      ->check(Check([](const std::string& t) { return IntegerInRangeError(t, 1, 65535); }, "PORT"));
  cmd->add_option("--port-file", o->port_file,
                  "write the health port used to PATH (atomically, once bound)")
      ->type_name("PATH");
  cmd->add_option("--history", o->history,
                  "write the engine's events to FILE as JSON lines (docs/history.md)")
      ->type_name("FILE");
  cmd->add_option("--inbox", o->inbox,
                  "publish every line of this JSON-lines FILE, and those appended later "
                  "(`protean publish --inbox FILE`), to the server's broker or event store")
      ->type_name("FILE");
  cmd->add_option("--log-format", o->log_format,
                  "json or text (default: [logging] format, else text at a terminal, json "
                  "otherwise)")
      ->check(CLI::IsMember({"json", "text"}))
      ->type_name("FORMAT");
  cmd->add_option("--log-level", o->log_level,
                  "DEBUG, INFO, WARNING, ERROR or CRITICAL (default: [logging] level, else by "
                  "environment)")
      ->check(Check(
          [](const std::string& t) {
            return ParseLogLevel(t) ? std::string()
                                    : "expected DEBUG, INFO, WARNING, ERROR or CRITICAL";
          },
          "LEVEL"));
  cmd->callback(
      [o, &context] { context.exit_code = RunServerCommand(*o, context.out, context.err); });
}

}  // namespace protean::cli
