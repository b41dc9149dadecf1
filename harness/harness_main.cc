// protean::harness::Main (harness/harness_main.h): the protean-harness
// command line. It runs scenario suites against the engine in memory mode
// (deterministic simulation) or test mode (real Redis / PostgreSQL / Message
// DB). See scenarios/README.md and docs/history.md.
//
//   protean-harness run [PATH...] [--protean-env memory|test|both] [--seed S | --seeds N]
//                       [--filter GLOB] [--junit FILE] [--json FILE] [--history DIR] [--jobs N]
//                       [--report DIR] [--server-binary PATH] [--domain PATH] [--shard K/N]
//   protean-harness report [RUN_DIR] [--json FILE]... [--history DIR]... [--out DIR]
//   protean-harness replay HISTORY.jsonl [--sim] [--domain PATH]
//   protean-harness list [PATH...]
//   protean-harness proxy --config FILE [--control HOST:PORT]   (docs/proxy.md)
//   protean-harness shrink FILE --seed S [--out DIR]             (harness/shrink.h)
//
// Exit: 0 everything passed (skips allowed), 1 a case failed or a replay
// differs, 2 usage, load error or an unreachable service.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "core/config/configuration_error.h"
#include "harness/harness_main.h"
#include "harness/proxy/proxy_command.h"
#include "harness/report_command.h"
#include "harness/run_command.h"
#include "harness/runner.h"
#include "harness/shrink.h"
#include "harness/sim_replay.h"
#include "harness/user_domain.h"

namespace protean::harness {
namespace {

int Replay(const std::string& path, bool sim, const std::string& domain,
           const HandlerCatalog& catalog) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "protean-harness: cannot read %s\n", path.c_str());
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  Result<History> recorded = History::Parse(text.str());
  if (!recorded.ok()) {
    std::fprintf(stderr, "protean-harness: %s: %s\n", path.c_str(),
                 recorded.status().message().c_str());
    return 2;
  }
  const auto& h = recorded->header;
  if (!h.contains("file") || !h.contains("seed") || !h.contains("mode")) {
    std::fprintf(stderr, "protean-harness: %s: header lacks file, seed or mode\n", path.c_str());
    return 2;
  }
  if (sim) return ReplayInSimulation(path, *recorded);
  if (h["mode"] != "memory") {
    std::fprintf(stderr,
                 "protean-harness: only memory-mode histories replay exactly (this one is %s)\n",
                 h["mode"].get<std::string>().c_str());
    return 2;
  }
  std::optional<UserDomain> user;
  if (!domain.empty()) user = LoadUserDomain(domain, catalog);
  Scenario s = LoadScenario(h["file"].get<std::string>(), user ? &*user : nullptr);
  RunOptions o;
  o.seed = h["seed"].get<uint64_t>();
  o.handlers = &catalog;
  RunOutput out = RunScenario(s, o);
  const std::string before = recorded->Serialize();
  const std::string after = out.history.Serialize();
  if (before == after) {
    std::printf("identical: %zu events, seed=%llu, %s\n", out.history.events.size(),
                static_cast<unsigned long long>(o.seed), s.id().c_str());
    return 0;
  }
  std::istringstream a(before), b(after);
  std::string la, lb;
  for (size_t line = 1;; ++line) {
    const bool ga = static_cast<bool>(std::getline(a, la));
    const bool gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) break;
    if (!ga || !gb || la != lb) {
      std::printf("differs at line %zu (%s)\n  recorded: %s\n  replayed: %s\n", line,
                  line == 1 ? "header" : "event", ga ? la.c_str() : "<end of history>",
                  gb ? lb.c_str() : "<end of history>");
      break;
    }
  }
  return 1;
}

int List(const std::vector<std::string>& paths) {
  std::printf("%-12s %-40s %s\n", "SUITE", "SCENARIO", "MODES");
  for (const Scenario& s : LoadScenarios(paths, "")) {
    std::string modes;
    for (const auto& m : s.modes) modes += (modes.empty() ? "" : ",") + m;
    std::printf("%-12s %-40s %s\n", s.suite.c_str(), s.name.c_str(), modes.c_str());
  }
  return 0;
}

}  // namespace

int Main(int argc, char** argv, const Registrar& register_handlers) {
  HandlerCatalog catalog;
  if (register_handlers) register_handlers(catalog);
  if (!catalog.status().ok()) {
    std::fprintf(stderr, "protean-harness: %s\n", catalog.status().message().c_str());
    return 2;
  }
  CLI::App app{
      "protean-harness: scenario suites against the Protean engine, in memory or test mode"};
  app.set_version_flag("--version", "protean-harness " PROTEAN_VERSION_STRING);
  app.require_subcommand(1);

  RunCommandOptions run_options;
  run_options.handlers = &catalog;
  run_options.program = std::filesystem::path(argv[0]).filename().string();
  CLI::App* run = AddRunCommand(app, run_options);

  std::string report_run_dir, report_out;
  std::vector<std::string> report_json, report_history;
  CLI::App* report = app.add_subcommand("report", "build the HTML report of a run from its files");
  report->add_option("run_dir", report_run_dir,
                     "a run folder (run --report DIR): its summary-*.json, or its histories");
  report->add_option("--json", report_json, "a JSON summary (run --json); repeatable");
  report->add_option("--history", report_history,
                     "a folder of histories (run --history); repeatable");
  report->add_option("--out", report_out, "where to write the report (default: the run folder)");

  std::string history_file;
  CLI::App* replay =
      app.add_subcommand("replay", "re-run a recorded memory-mode history and compare");
  replay->add_option("history", history_file, "HISTORY.jsonl")->required();
  std::string replay_domain;
  replay->add_option("--domain", replay_domain, "the --domain the run was given");
  bool replay_sim = false;
  replay->add_flag("--sim", replay_sim,
                   "a test-mode history: rerun its publish and fault timeline in the simulation "
                   "and compare the outcome per message");

  std::vector<std::string> list_paths;
  CLI::App* list = app.add_subcommand("list", "list scenarios: suite, name, modes");
  list->add_option("paths", list_paths, "scenario files or folders (default: scenarios)");

  int proxy_exit = -1;  // set when `proxy` ran (its callback runs inside parse)
  proxy::RegisterProxyCommand(app, &proxy_exit);
  int shrink_exit = -1;  // set when `shrink` ran
  RegisterShrinkCommand(app, &shrink_exit);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (proxy_exit >= 0) return proxy_exit;
  if (shrink_exit >= 0) return shrink_exit;
  try {
    if (run->parsed()) {
      if (run_options.paths.empty()) run_options.paths = {"scenarios"};
      return RunCommand(run_options);
    }
    if (report->parsed()) {
      return RunReportCommand(report_run_dir, report_json, report_history, report_out);
    }
    if (replay->parsed()) return Replay(history_file, replay_sim, replay_domain, catalog);
    if (list_paths.empty()) list_paths = {"scenarios"};
    return List(list_paths);
  } catch (const config::ConfigurationError& e) {
    std::fprintf(stderr, "protean-harness: %s\n", e.what());
    return 2;
  } catch (const ServiceUnavailable& e) {
    std::fprintf(stderr, "protean-harness: %s\n", e.what());
    return 2;
  }
}

}  // namespace protean::harness
