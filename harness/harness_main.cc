// protean-harness: runs scenario suites against the engine in memory mode
// (deterministic simulation) or test mode (real Redis / PostgreSQL / Message
// DB). See scenarios/README.md and docs/history.md.
//
//   protean-harness run [PATH...] [--protean-env memory|test|both] [--seed S | --seeds N]
//                       [--filter GLOB] [--junit FILE] [--json FILE] [--history DIR] [--jobs N]
//                       [--report DIR] [--server-binary PATH]
//   protean-harness report [RUN_DIR] [--json FILE]... [--history DIR]... [--out DIR]
//   protean-harness replay HISTORY.jsonl [--sim]
//   protean-harness list [PATH...]
//   protean-harness proxy --config FILE [--control HOST:PORT]   (docs/proxy.md)
//   protean-harness shrink FILE --seed S [--out DIR]             (harness/shrink.h)
//
// Exit: 0 everything passed (skips allowed), 1 a case failed or a replay
// differs, 2 usage, load error or an unreachable service.

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "core/config/configuration_error.h"
#include "harness/case_queue.h"
#include "harness/html_report.h"
#include "harness/proxy/proxy_command.h"
#include "harness/runner.h"
#include "harness/shrink.h"
#include "harness/sim_replay.h"

namespace protean::harness {
namespace {



std::vector<Scenario> LoadAll(const std::vector<std::string>& paths, const std::string& filter) {
  std::vector<Scenario> out;
  for (const auto& file : FindScenarioFiles(paths)) {
    Scenario s = LoadScenario(file);
    if (!filter.empty() && fnmatch(filter.c_str(), s.id().c_str(), 0) != 0) continue;
    out.push_back(std::move(s));
  }
  return out;
}

// The JSON summaries a run folder holds (`run --report` writes summary-<mode>.json).
std::vector<std::string> SummariesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("summary-", 0) == 0 && entry.path().extension() == ".json") {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

int Report(const std::string& run_dir, std::vector<std::string> summaries,
           std::vector<std::string> history_dirs, std::string out_dir) {
  if (!run_dir.empty()) {
    if (!std::filesystem::is_directory(run_dir)) {
      std::fprintf(stderr, "protean-harness report: %s is not a folder\n", run_dir.c_str());
      return 2;
    }
    for (const std::string& s : SummariesIn(run_dir)) summaries.push_back(s);
    if (summaries.empty() && history_dirs.empty()) {
      history_dirs.push_back(run_dir);
      if (std::filesystem::is_directory(run_dir + "/histories")) {
        history_dirs.push_back(run_dir + "/histories");
      }
    }
    if (out_dir.empty()) out_dir = run_dir;
  }
  if (out_dir.empty()) {
    std::fprintf(stderr, "protean-harness report: give a run folder or --out DIR\n");
    return 2;
  }
  if (summaries.empty() && history_dirs.empty()) {
    std::fprintf(stderr, "protean-harness report: no summary (--json) and no --history folder\n");
    return 2;
  }
  Result<std::vector<ReportCase>> cases = CollectReportCases(summaries, history_dirs);
  if (!cases.ok()) {
    std::fprintf(stderr, "protean-harness report: %s\n", cases.status().message().c_str());
    return 2;
  }
  if (cases->empty()) {
    std::fprintf(stderr, "protean-harness report: no cases in the summaries or folders given\n");
    return 2;
  }
  Result<HtmlReportStats> stats = WriteHtmlReport(std::move(*cases), out_dir);
  if (!stats.ok()) {
    std::fprintf(stderr, "protean-harness report: %s\n", stats.status().message().c_str());
    return 2;
  }
  std::printf("report: %s/index.html (%zu cases, %zu pages, %zu events, %.2f s)\n", out_dir.c_str(),
              stats->cases, stats->pages, stats->events, stats->seconds);
  return 0;
}

// Writes the reports and prints the summary; the exit code.
int Summarise(const RunCommandOptions& o, const CaseQueue& queue) {
  const std::vector<CaseResult>& results = queue.results();
  const double wall = queue.elapsed();
  std::printf("%s", SummaryTable(results).c_str());
  if (!o.junit.empty() && !WriteFile(o.junit, JUnitXml(results, wall))) {
    std::fprintf(stderr, "protean-harness: cannot write %s\n", o.junit.c_str());
    return 2;
  }
  if (!o.json.empty() && !WriteFile(o.json, JsonSummary(results, wall))) {
    std::fprintf(stderr, "protean-harness: cannot write %s\n", o.json.c_str());
    return 2;
  }
  if (!o.report_dir.empty()) {
    // This run's summary joins the folder's others (memory and test runs of
    // one folder make differential pages), then the report is rebuilt.
    std::filesystem::create_directories(o.report_dir);
    const std::string summary = o.report_dir + "/summary-" + o.mode + ".json";
    if (!WriteFile(summary, JsonSummary(results, wall))) {
      std::fprintf(stderr, "protean-harness: cannot write %s\n", summary.c_str());
      return 2;
    }
    if (Report(o.report_dir, {}, {}, o.report_dir) != 0) return 2;
  }
  size_t passed = 0, compared = 0, not_compared = 0;
  for (const auto& r : results) {
    passed += r.passed() ? 1 : 0;
    if (r.differential.empty()) continue;
    if (r.differential.rfind("compared", 0) == 0) {
      ++compared;
      if (r.differential != "compared") {
        std::printf("%s: %s\n", CaseName(r).c_str(), r.differential.c_str());
      }
    } else {
      ++not_compared;
      std::printf("%s: %s\n", CaseName(r).c_str(), r.differential.c_str());
    }
  }
  if (o.mode == "both") {
    std::printf("differential: %zu compared, %zu not compared\n", compared, not_compared);
  }
  std::printf("%zu passed, %zu failed, %zu skipped\n", passed, queue.failed(), queue.skipped());
  return queue.failed() > 0 ? 1 : 0;
}

// The `protean` built beside this binary: in its folder, or (a build tree)
// in ../app.
std::string DefaultServerBinary() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "protean";
  for (const auto& candidate :
       {self.parent_path() / "protean", self.parent_path().parent_path() / "app" / "protean"}) {
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
  }
  return (self.parent_path() / "protean").string();
}

int RunCommand(RunCommandOptions o) {
  if (!o.report_dir.empty() && o.history_dir.empty()) o.history_dir = o.report_dir + "/histories";
  if (o.server_binary.empty()) o.server_binary = DefaultServerBinary();
  if (o.mode != "memory" && access(o.server_binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr,
                 "protean-harness: no executable protean server binary at %s "
                 "(--server-binary PATH)\n",
                 o.server_binary.c_str());
    return 2;
  }
  std::vector<Scenario> scenarios = LoadAll(o.paths, o.filter);
  if (scenarios.empty()) {
    std::fprintf(stderr, "protean-harness: no scenario matches\n");
    return 2;
  }
  // Test mode: the cases of scenarios with a fault on a shared service (the
  // serial group) run after the others, one at a time.
  std::vector<Case> cases, serial;
  const uint64_t first = o.seed.value_or(1);
  for (const Scenario& s : scenarios) {
    const bool alone = o.mode != "memory" && s.serial();
    for (uint64_t i = 0; i < o.seeds.value_or(1); ++i) {
      (alone ? serial : cases).push_back(Case{&s, first + i});
    }
  }
  const size_t parallel = cases.size();
  if (!serial.empty()) {
    std::fprintf(stderr, "serial group: %zu case(s) with a fault on a shared service run last, "
                 "one at a time\n", serial.size());
  }
  cases.insert(cases.end(), serial.begin(), serial.end());
  if (!o.history_dir.empty()) std::filesystem::create_directories(o.history_dir);
  CaseQueue queue(o, std::move(cases));
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, o.jobs); ++j) {
    threads.emplace_back([&queue, parallel] { queue.Work(parallel); });
  }
  for (auto& t : threads) t.join();
  queue.Restart(parallel);
  queue.Work(parallel + serial.size());
  if (queue.tty()) std::fprintf(stderr, "\n");
  if (!queue.fatal().empty()) {
    std::fprintf(stderr, "protean-harness: %s\n", queue.fatal().c_str());
    return 2;
  }
  return Summarise(o, queue);
}

int Replay(const std::string& path, bool sim) {
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
  Scenario s = LoadScenario(h["file"].get<std::string>());
  RunOptions o;
  o.seed = h["seed"].get<uint64_t>();
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
  for (const Scenario& s : LoadAll(paths, "")) {
    std::string modes;
    for (const auto& m : s.modes) modes += (modes.empty() ? "" : ",") + m;
    std::printf("%-12s %-40s %s\n", s.suite.c_str(), s.name.c_str(), modes.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace protean::harness

int main(int argc, char** argv) {
  CLI::App app{
      "protean-harness: scenario suites against the Protean engine, in memory or test mode"};
  app.set_version_flag("--version", "protean-harness 0.1.0");
  app.require_subcommand(1);

  protean::harness::RunCommandOptions run_options;
  const char* env = std::getenv("PROTEAN_ENV");
  if (env != nullptr && *env != '\0') run_options.mode = env;
  CLI::App* run = app.add_subcommand("run", "run scenario suites");
  run->add_option("paths", run_options.paths, "scenario files or folders (default: scenarios)");
  run->add_option("--protean-env", run_options.mode,
                  "memory | test | both (both: each case in both modes, compared per message; "
                  "default: $PROTEAN_ENV, else memory)")
      ->check(CLI::IsMember({"memory", "test", "both"}));
  run->add_option("--seed", run_options.seed, "run every scenario under this seed (default 1)");
  run->add_option("--seeds", run_options.seeds,
                  "swarm: run each scenario under N seeds (from --seed or 1)")
      ->check(CLI::PositiveNumber);
  run->add_option("--filter", run_options.filter,
                  "only scenarios whose suite/name matches this glob");
  run->add_option("--junit", run_options.junit, "write a JUnit XML report");
  run->add_option("--json", run_options.json, "write a JSON summary");
  run->add_option("--history", run_options.history_dir,
                  "write each run's history (JSON lines) here");
  run->add_option("--jobs", run_options.jobs, "cases run in parallel (default 1)")
      ->check(CLI::PositiveNumber);
  run->add_option("--server-binary", run_options.server_binary,
                  "test mode: the protean binary each instance runs as `protean server` "
                  "(default: the protean built beside protean-harness)");
  run->add_option("--report", run_options.report_dir,
                  "write the HTML report here (histories in DIR/histories unless --history)");

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
  bool replay_sim = false;
  replay->add_flag("--sim", replay_sim,
                   "a test-mode history: rerun its publish and fault timeline in the simulation "
                   "and compare the outcome per message");

  std::vector<std::string> list_paths;
  CLI::App* list = app.add_subcommand("list", "list scenarios: suite, name, modes");
  list->add_option("paths", list_paths, "scenario files or folders (default: scenarios)");

  int proxy_exit = -1;  // set when `proxy` ran (its callback runs inside parse)
  protean::harness::proxy::RegisterProxyCommand(app, &proxy_exit);
  int shrink_exit = -1;  // set when `shrink` ran
  protean::harness::RegisterShrinkCommand(app, &shrink_exit);

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
      return protean::harness::RunCommand(run_options);
    }
    if (report->parsed()) {
      return protean::harness::Report(report_run_dir, report_json, report_history, report_out);
    }
    if (replay->parsed()) return protean::harness::Replay(history_file, replay_sim);
    if (list_paths.empty()) list_paths = {"scenarios"};
    return protean::harness::List(list_paths);
  } catch (const protean::config::ConfigurationError& e) {
    std::fprintf(stderr, "protean-harness: %s\n", e.what());
    return 2;
  } catch (const protean::harness::ServiceUnavailable& e) {
    std::fprintf(stderr, "protean-harness: %s\n", e.what());
    return 2;
  }
}
