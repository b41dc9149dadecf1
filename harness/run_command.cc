#include "harness/run_command.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>

#include "harness/case_queue.h"
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
    if (o.mode != "memory" && !o.handlers->handlers().empty()) {
      // The `protean` beside this binary has none of these C++ handlers.
      std::fprintf(stderr,
                   "protean-harness: test mode with C++ handlers needs --server-binary PATH: "
                   "your own binary running protean::ServerMain with the same handlers\n");
      return 2;
    }
    o.server_binary = DefaultServerBinary();
  }
  if (o.mode != "memory" && access(o.server_binary.c_str(), X_OK) != 0) {
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
  // Test mode: the cases of scenarios with a fault on a shared service (the
  // serial group) run after the others, one at a time (RunSchedule).
  std::vector<Case> cases;
  size_t serial = 0;
  const uint64_t first = o.seed.value_or(1);
  size_t index = 0;  // over every case of the run, so that shards split the same list
  for (const Scenario& s : scenarios) {
    const bool alone = o.mode != "memory" && s.serial();
    for (uint64_t i = 0; i < o.seeds.value_or(1); ++i, ++index) {
      if (o.shard && !o.shard->Holds(index)) continue;
      cases.push_back(Case{&s, first + i, alone});
      serial += alone ? 1 : 0;
    }
  }
  if (o.shard) {
    std::fprintf(stderr, "protean-harness: shard %zu/%zu: %zu of %zu cases\n", o.shard->index,
                 o.shard->count, cases.size(), index);
  }
  if (serial > 0) {
    std::fprintf(stderr,
                 "serial group: %zu case(s) with a fault on a shared service run last, "
                 "one at a time\n",
                 serial);
  }
  if (!o.history_dir.empty()) std::filesystem::create_directories(o.history_dir);
  CaseQueue queue(o, std::move(cases));
  queue.RunAll();
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
  run->add_option("--protean-env", o.mode,
                  "memory | test | both (both: each case in both modes, compared per message; "
                  "default: $PROTEAN_ENV, else memory)")
      ->check(CLI::IsMember({"memory", "test", "both"}));
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
