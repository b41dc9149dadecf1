#include "harness/case_queue.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "harness/differential.h"
#include "harness/html_report.h"
#include "harness/runner.h"
#include "harness/service_unavailable.h"

namespace protean::harness {

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

void RunSchedule(const std::vector<bool>& serial, int jobs,
                 const std::function<bool(size_t)>& run) {
  std::vector<size_t> parallel, alone;
  for (size_t i = 0; i < serial.size(); ++i) (serial[i] ? alone : parallel).push_back(i);
  std::atomic<size_t> next{0};
  std::atomic<bool> stopped{false};
  auto work = [&] {
    while (!stopped) {
      const size_t k = next++;
      if (k >= parallel.size()) return;
      if (!run(parallel[k])) stopped = true;
    }
  };
  const size_t workers = std::min(static_cast<size_t>(std::max(1, jobs)), parallel.size());
  std::vector<std::thread> threads;
  for (size_t j = 0; j < workers; ++j) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  for (size_t i : alone) {
    if (stopped || !run(i)) return;
  }
}

void CaseQueue::RunAll() {
  std::vector<bool> serial;
  for (const Case& c : cases_) serial.push_back(c.serial);
  RunSchedule(serial, o_.jobs, [this](size_t i) { return Take(i); });
}

bool CaseQueue::Take(size_t i) {
  try {
    Report(i, runner_ ? runner_(cases_[i]) : RunOne(cases_[i]));
  } catch (const ServiceUnavailable& e) {
    MutexLock lock(&mu_);
    fatal_ = e.what();
    return false;
  }
  return true;
}

// The replay commands' --domain, when the run has one.
std::string CaseQueue::DomainFlag() const {
  return o_.domain.empty() ? "" : " --domain " + o_.domain;
}

// Runs one case; an error other than an unreachable service fails the case.
CaseResult CaseQueue::RunOne(const Case& c) {
  if (o_.mode == "both") return RunBoth(c);
  return RunMode(c, o_.mode, nullptr);
}

// One case in one mode; its history goes to *history (if given) and to
// --history DIR.
CaseResult CaseQueue::RunMode(const Case& c, const std::string& mode, History* history) {
  const RunOptions run{.mode = mode,
                       .seed = c.seed,
                       .env_lookup = nullptr,  // the process environment
                       .program = o_.program,
                       .server_binary = o_.server_binary,
                       .handlers = o_.handlers};
  CaseResult r;
  try {
    RunOutput out = RunScenario(*c.scenario, run);
    r = std::move(out.result);
    r.replay_command += DomainFlag();
    if (!o_.history_dir.empty() && !r.skipped) {
      r.history_path = o_.history_dir + "/" + CaseFileStem(r) + ".jsonl";
      WriteFile(r.history_path, out.history.Serialize());
    }
    if (history != nullptr) *history = std::move(out.history);
  } catch (const ServiceUnavailable&) {
    throw;
  } catch (const std::exception& e) {
    r.suite = c.scenario->suite;
    r.scenario = c.scenario->name;
    r.file = c.scenario->file.string();
    r.mode = mode;
    r.seed = run.seed;
    r.replay_command = ReplayCommand(o_.program, *c.scenario, mode, run.seed) + DomainFlag();
    r.failures.push_back(std::string("error: ") + e.what());
  }
  return r;
}

// --protean-env both: the case in memory mode, then in test mode, and the
// differential verdict (harness/differential.h) over the two.
CaseResult CaseQueue::RunBoth(const Case& c) {
  History mh, th;
  const CaseResult m = RunMode(c, "memory", &mh);
  const CaseResult t = RunMode(c, "test", &th);
  CaseResult r = t;
  r.mode = "both";
  r.replay_command = ReplayCommand(o_.program, *c.scenario, "both", c.seed) + DomainFlag();
  r.sim_seconds = m.sim_seconds;
  r.failures.clear();
  r.skipped = m.skipped && t.skipped;
  r.skip_reason = m.skipped ? m.skip_reason : t.skip_reason;
  if (!c.scenario->differential_reason.empty()) {
    r.differential = "not compared: " + c.scenario->differential_reason;
  } else if (m.skipped || t.skipped) {
    r.differential = std::string("not compared: ") + (m.skipped ? "memory" : "test") +
                     " mode skipped: " + (m.skipped ? m.skip_reason : t.skip_reason);
  } else {
    CompareOptions compare;
    compare.attempts = c.scenario->differential_attempts_reason.empty();
    r.differential = compare.attempts
                         ? "compared"
                         : "compared except attempts: " + c.scenario->differential_attempts_reason;
    const std::vector<std::string> lines = CompareOutcomes(mh, m, th, t, compare);
    for (const std::string& line : lines) r.failures.push_back("differential: " + line);
    if (!lines.empty()) {
      r.failures.push_back("differential: replay memory: " + m.replay_command);
      r.failures.push_back("differential: replay test: " + t.replay_command);
    }
  }
  // The differential verdict first: it is what this mode adds.
  for (const std::string& f : m.failures) r.failures.push_back("memory " + f);
  for (const std::string& f : t.failures) r.failures.push_back("test " + f);
  return r;
}

void CaseQueue::Report(size_t i, CaseResult r) {
  MutexLock lock(&mu_);
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

}  // namespace protean::harness
