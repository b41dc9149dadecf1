#include "harness/run_command.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

#include "harness/html_report.h"
#include "harness/report_command.h"
#include "harness/runner.h"
#include "harness/user_domain.h"

namespace protean::harness {

std::vector<Scenario> LoadScenarios(const std::vector<std::string>& paths,
                                    const std::string& filter, const UserDomain* user) {
  std::vector<Scenario> out;
  for (const auto& file : FindScenarioFiles(paths)) {
    Scenario s = LoadScenario(file, user);
    if (!filter.empty() && fnmatch(filter.c_str(), s.id().c_str(), 0) != 0) continue;
    out.push_back(std::move(s));
  }
  return out;
}

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

// The cases of a run command and their shared progress; workers take cases
// in order, report as they finish, and stop at a fatal error.
class CaseQueue {
 public:
  CaseQueue(const RunCommandOptions& o, std::vector<Case> cases)
      : o_(o), cases_(std::move(cases)), results_(cases_.size()) {}

  void Work();
  const std::vector<CaseResult>& results() const { return results_; }
  const std::string& fatal() const { return fatal_; }
  bool tty() const { return tty_; }
  size_t failed() const { return failed_; }
  size_t skipped() const { return skipped_; }
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  CaseResult RunOne(const Case& c);
  void Report(size_t i, CaseResult r);

  const RunCommandOptions& o_;
  std::vector<Case> cases_;
  std::vector<CaseResult> results_;
  std::atomic<size_t> next_{0};
  std::mutex mu_;  // guards what follows, and stderr
  size_t done_ = 0, failed_ = 0, skipped_ = 0;
  std::string fatal_;
  const bool tty_ = isatty(STDERR_FILENO) != 0;
  const std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

void CaseQueue::Work() {
  for (;;) {
    const size_t i = next_++;
    if (i >= cases_.size()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!fatal_.empty()) return;
    }
    try {
      Report(i, RunOne(cases_[i]));
    } catch (const ServiceUnavailable& e) {
      std::lock_guard<std::mutex> lock(mu_);
      fatal_ = e.what();
      return;
    }
  }
}

// Runs one case; an error other than an unreachable service fails the case.
CaseResult CaseQueue::RunOne(const Case& c) {
  const RunOptions run{.mode = o_.mode,
                       .seed = c.seed,
                       .env_lookup = nullptr,  // the process environment
                       .program = o_.program,
                       .server_binary = o_.server_binary,
                       .handlers = o_.handlers};
  CaseResult r;
  try {
    RunOutput out = RunScenario(*c.scenario, run);
    r = std::move(out.result);
    if (!o_.domain.empty()) r.replay_command += " --domain " + o_.domain;
    if (!o_.history_dir.empty() && !r.skipped) {
      r.history_path = o_.history_dir + "/" + CaseFileStem(r) + ".jsonl";
      WriteFile(r.history_path, out.history.Serialize());
    }
  } catch (const ServiceUnavailable&) {
    throw;
  } catch (const std::exception& e) {
    r.suite = c.scenario->suite;
    r.scenario = c.scenario->name;
    r.file = c.scenario->file.string();
    r.mode = o_.mode;
    r.seed = run.seed;
    r.replay_command = ReplayCommand(o_.program, *c.scenario, o_.mode, run.seed);
    if (!o_.domain.empty()) r.replay_command += " --domain " + o_.domain;
    r.failures.push_back(std::string("error: ") + e.what());
  }
  return r;
}

void CaseQueue::Report(size_t i, CaseResult r) {
  std::lock_guard<std::mutex> lock(mu_);
  if (r.skipped) ++skipped_;
  if (!r.skipped && !r.passed()) {
    ++failed_;
    std::fprintf(stderr, "%sFAILED %s (seed=%llu)\n", tty_ ? "\r\033[K" : "", CaseName(r).c_str(),
                 static_cast<unsigned long long>(r.seed));
    for (size_t k = 0; k < r.failures.size() && k < 10; ++k) {
      std::fprintf(stderr, "  %s\n", r.failures[k].c_str());
    }
    if (r.failures.size() > 10) std::fprintf(stderr, "  ... %zu more\n", r.failures.size() - 10);
    std::fprintf(stderr, "  replay: %s\n", r.replay_command.c_str());
  }
  results_[i] = std::move(r);
  const size_t d = ++done_;
  const std::string line = ProgressLine(d, cases_.size(), failed_, skipped_, elapsed());
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else if (d == cases_.size() || d % std::max<size_t>(1, cases_.size() / 10) == 0) {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
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
    if (RunReportCommand(o.report_dir, {}, {}, o.report_dir) != 0) return 2;
  }
  size_t passed = 0;
  for (const auto& r : results) passed += r.passed() ? 1 : 0;
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

// The user's handlers this binary has no C++ function for run as scripted
// handlers: said once, since the stock protean-harness over a C++ project
// runs none of its code.
void WarnScriptedOnly(const UserDomain& user, const HandlerCatalog& catalog) {
  std::string names;
  for (const auto& [name, table] : user.handlers) {
    if (catalog.FindHandler(std::string(name.str())) != nullptr) continue;
    names += (names.empty() ? "" : ", ") + std::string(name.str());
  }
  if (names.empty()) return;
  std::fprintf(stderr,
               "protean-harness: note: %s: no C++ handler of this binary is named %s; they run "
               "as scripted handlers ([handlers.<Name>] keys only)\n",
               user.file.c_str(), names.c_str());
}

}  // namespace

int RunCommand(RunCommandOptions o) {
  if (!o.report_dir.empty() && o.history_dir.empty()) o.history_dir = o.report_dir + "/histories";
  if (o.server_binary.empty()) {
    if (o.mode == "test" && !o.handlers->handlers().empty()) {
      // The `protean` beside this binary has none of these C++ handlers.
      std::fprintf(stderr,
                   "protean-harness: test mode with C++ handlers needs --server-binary PATH: "
                   "your own binary running protean::ServerMain with the same handlers\n");
      return 2;
    }
    o.server_binary = DefaultServerBinary();
  }
  if (o.mode == "test" && access(o.server_binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr,
                 "protean-harness: no executable protean server binary at %s "
                 "(--server-binary PATH)\n",
                 o.server_binary.c_str());
    return 2;
  }
  std::optional<UserDomain> user;
  if (!o.domain.empty()) {
    user = LoadUserDomain(o.domain, *o.handlers);
    WarnScriptedOnly(*user, *o.handlers);
  }
  std::vector<Scenario> scenarios = LoadScenarios(o.paths, o.filter, user ? &*user : nullptr);
  if (scenarios.empty()) {
    std::fprintf(stderr, "protean-harness: no scenario matches\n");
    return 2;
  }
  std::vector<Case> cases;
  const uint64_t first = o.seed.value_or(1);
  size_t index = 0;  // over every case of the run, so that shards split the same list
  for (const Scenario& s : scenarios) {
    for (uint64_t i = 0; i < o.seeds.value_or(1); ++i, ++index) {
      if (!o.shard || o.shard->Holds(index)) cases.push_back(Case{&s, first + i});
    }
  }
  if (o.shard) {
    std::fprintf(stderr, "protean-harness: shard %zu/%zu: %zu of %zu cases\n", o.shard->index,
                 o.shard->count, cases.size(), index);
  }
  if (!o.history_dir.empty()) std::filesystem::create_directories(o.history_dir);
  CaseQueue queue(o, std::move(cases));
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, o.jobs); ++j) threads.emplace_back([&queue] { queue.Work(); });
  for (auto& t : threads) t.join();
  if (queue.tty()) std::fprintf(stderr, "\n");
  if (!queue.fatal().empty()) {
    std::fprintf(stderr, "protean-harness: %s\n", queue.fatal().c_str());
    return 2;
  }
  return Summarise(o, queue);
}

// The `run` subcommand's options into `o`.
CLI::App* AddRunCommand(CLI::App& app, RunCommandOptions& o) {
  const char* env = std::getenv("PROTEAN_ENV");
  if (env != nullptr && *env != '\0') o.mode = env;
  CLI::App* run = app.add_subcommand("run", "run scenario suites");
  run->add_option("paths", o.paths, "scenario files or folders (default: scenarios)");
  run->add_option("--protean-env", o.mode, "memory | test (default: $PROTEAN_ENV, else memory)")
      ->check(CLI::IsMember({"memory", "test"}));
  run->add_option("--seed", o.seed, "run every scenario under this seed (default 1)");
  run->add_option("--seeds", o.seeds, "swarm: run each scenario under N seeds (from --seed or 1)")
      ->check(CLI::PositiveNumber);
  run->add_option("--filter", o.filter, "only scenarios whose suite/name matches this glob");
  run->add_option("--junit", o.junit, "write a JUnit XML report");
  run->add_option("--json", o.json, "write a JSON summary");
  run->add_option("--history", o.history_dir, "write each run's history (JSON lines) here");
  run->add_option("--jobs", o.jobs, "cases run in parallel (default 1)")
      ->check(CLI::PositiveNumber);
  run->add_option("--server-binary", o.server_binary,
                  "test mode: the binary each instance runs as `<binary> server` (default: the "
                  "protean built beside protean-harness; required with C++ handlers)");
  run->add_option("--report", o.report_dir,
                  "write the HTML report here (histories in DIR/histories unless --history)");
  run->add_option("--domain", o.domain,
                  "a domain.toml (or its folder) merged under every scenario's [domain] and "
                  "[handlers]");
  run->add_option_function<std::string>(
         "--shard",
         [&o](const std::string& text) {
           std::string error;
           o.shard = ParseCaseShard(text, &error);
           if (!o.shard) throw CLI::ValidationError(error);
         },
         "run only shard K of N of the cases (scenario x seed), for a CI matrix")
      ->type_name("K/N");
  return run;
}

}  // namespace protean::harness
