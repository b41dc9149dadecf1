// protean-harness: runs scenario suites against the engine in memory mode
// (deterministic simulation) or test mode (real Redis / PostgreSQL / Message
// DB). See scenarios/README.md and docs/history.md.
//
//   protean-harness run [PATH...] [--protean-env memory|test] [--seed S | --seeds N]
//                       [--filter GLOB] [--junit FILE] [--json FILE] [--history DIR] [--jobs N]
//                       [--report DIR]
//   protean-harness report [RUN_DIR] [--json FILE]... [--history DIR]... [--out DIR]
//   protean-harness replay HISTORY.jsonl
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
#include "harness/html_report.h"
#include "harness/proxy/proxy_command.h"
#include "harness/runner.h"
#include "harness/shrink.h"

namespace protean::harness {
namespace {

struct Case {
  const Scenario* scenario;
  uint64_t seed;
};

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

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

int Run(const std::vector<std::string>& paths, std::string mode, std::optional<uint64_t> seed,
        std::optional<uint64_t> seeds, const std::string& filter, const std::string& junit,
        const std::string& json, std::string history_dir, int jobs, const std::string& report_dir) {
  if (!report_dir.empty() && history_dir.empty()) history_dir = report_dir + "/histories";
  std::vector<Scenario> scenarios = LoadAll(paths, filter);
  if (scenarios.empty()) {
    std::fprintf(stderr, "protean-harness: no scenario matches\n");
    return 2;
  }
  std::vector<Case> cases;
  const uint64_t first = seed.value_or(1);
  const uint64_t count = seeds.value_or(1);
  for (const Scenario& s : scenarios) {
    for (uint64_t i = 0; i < count; ++i) cases.push_back(Case{&s, first + i});
  }
  if (!history_dir.empty()) std::filesystem::create_directories(history_dir);
  std::vector<CaseResult> results(cases.size());
  std::atomic<size_t> next{0}, done{0}, failed{0}, skipped{0};
  std::mutex out_mu;
  std::string fatal;
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto worker = [&] {
    for (;;) {
      const size_t i = next++;
      if (i >= cases.size()) return;
      {
        std::lock_guard<std::mutex> lock(out_mu);
        if (!fatal.empty()) return;
      }
      RunOptions o;
      o.mode = mode;
      o.seed = cases[i].seed;
      CaseResult r;
      try {
        RunOutput out = RunScenario(*cases[i].scenario, o);
        r = std::move(out.result);
        if (!history_dir.empty() && !r.skipped) {
          r.history_path = history_dir + "/" + CaseFileStem(r) + ".jsonl";
          WriteFile(r.history_path, out.history.Serialize());
        }
      } catch (const ServiceUnavailable& e) {
        std::lock_guard<std::mutex> lock(out_mu);
        fatal = e.what();
        return;
      } catch (const std::exception& e) {
        r.suite = cases[i].scenario->suite;
        r.scenario = cases[i].scenario->name;
        r.file = cases[i].scenario->file.string();
        r.mode = mode;
        r.seed = o.seed;
        r.replay_command = ReplayCommand("protean-harness", *cases[i].scenario, mode, o.seed);
        r.failures.push_back(std::string("error: ") + e.what());
      }
      std::lock_guard<std::mutex> lock(out_mu);
      if (r.skipped) ++skipped;
      if (!r.skipped && !r.passed()) {
        ++failed;
        std::fprintf(stderr, "%sFAILED %s (seed=%llu)\n", tty ? "\r\033[K" : "",
                     CaseName(r).c_str(), static_cast<unsigned long long>(r.seed));
        for (size_t k = 0; k < r.failures.size() && k < 10; ++k) {
          std::fprintf(stderr, "  %s\n", r.failures[k].c_str());
        }
        if (r.failures.size() > 10)
          std::fprintf(stderr, "  ... %zu more\n", r.failures.size() - 10);
        std::fprintf(stderr, "  replay: %s\n", r.replay_command.c_str());
      }
      results[i] = std::move(r);
      const size_t d = ++done;
      const std::string line = ProgressLine(d, cases.size(), failed, skipped, elapsed());
      if (tty) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
      } else if (d == cases.size() || d % std::max<size_t>(1, cases.size() / 10) == 0) {
        std::fprintf(stderr, "%s\n", line.c_str());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, jobs); ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (tty) std::fprintf(stderr, "\n");
  if (!fatal.empty()) {
    std::fprintf(stderr, "protean-harness: %s\n", fatal.c_str());
    return 2;
  }
  const double wall = elapsed();
  std::printf("%s", SummaryTable(results).c_str());
  if (!junit.empty() && !WriteFile(junit, JUnitXml(results, wall))) {
    std::fprintf(stderr, "protean-harness: cannot write %s\n", junit.c_str());
    return 2;
  }
  if (!json.empty() && !WriteFile(json, JsonSummary(results, wall))) {
    std::fprintf(stderr, "protean-harness: cannot write %s\n", json.c_str());
    return 2;
  }
  if (!report_dir.empty()) {
    // This run's summary joins the folder's others (memory and test runs of
    // one folder make differential pages), then the report is rebuilt.
    std::filesystem::create_directories(report_dir);
    const std::string summary = report_dir + "/summary-" + mode + ".json";
    if (!WriteFile(summary, JsonSummary(results, wall))) {
      std::fprintf(stderr, "protean-harness: cannot write %s\n", summary.c_str());
      return 2;
    }
    if (Report(report_dir, {}, {}, report_dir) != 0) return 2;
  }
  size_t passed = 0;
  for (const auto& r : results) passed += r.passed() ? 1 : 0;
  std::printf("%zu passed, %zu failed, %zu skipped\n", passed, failed.load(), skipped.load());
  return failed > 0 ? 1 : 0;
}

int Replay(const std::string& path) {
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

  std::vector<std::string> paths;
  const char* env = std::getenv("PROTEAN_ENV");
  std::string mode = env != nullptr && *env != '\0' ? env : "memory";
  std::optional<uint64_t> seed, seeds;
  std::string filter, junit, json, history_dir;
  int jobs = 1;
  CLI::App* run = app.add_subcommand("run", "run scenario suites");
  run->add_option("paths", paths, "scenario files or folders (default: scenarios)");
  run->add_option("--protean-env", mode, "memory | test (default: $PROTEAN_ENV, else memory)")
      ->check(CLI::IsMember({"memory", "test"}));
  auto* seed_opt =
      run->add_option("--seed", seed, "run every scenario under this seed (default 1)");
  run->add_option("--seeds", seeds, "swarm: run each scenario under N seeds (from --seed or 1)")
      ->check(CLI::PositiveNumber);
  (void)seed_opt;
  run->add_option("--filter", filter, "only scenarios whose suite/name matches this glob");
  run->add_option("--junit", junit, "write a JUnit XML report");
  run->add_option("--json", json, "write a JSON summary");
  run->add_option("--history", history_dir, "write each run's history (JSON lines) here");
  run->add_option("--jobs", jobs, "cases run in parallel (default 1)")->check(CLI::PositiveNumber);
  std::string report_dir;
  run->add_option("--report", report_dir,
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
      if (paths.empty()) paths = {"scenarios"};
      return protean::harness::Run(paths, mode, seed, seeds, filter, junit, json, history_dir, jobs,
                                   report_dir);
    }
    if (report->parsed()) {
      return protean::harness::Report(report_run_dir, report_json, report_history, report_out);
    }
    if (replay->parsed()) return protean::harness::Replay(history_file);
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
