#pragma once
// The cases of a `protean-harness run` and the workers that run them: each
// case in its mode (or, with --protean-env both, in memory mode, then in test
// mode, and the differential verdict over the two: harness/differential.h),
// its history written to --history DIR, and the progress line.
//
// Work(end) is called from several threads at once (--jobs); cases are taken
// in order, reported as they finish, and a service that cannot be reached
// stops every worker (fatal()). The serial group is the caller's: it runs
// Work(parallel) on every worker, then Restart(parallel) and Work(size) on
// one.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "harness/history.h"
#include "harness/report.h"
#include "harness/run_command.h"
#include "harness/scenario.h"

namespace protean::harness {

// One scenario under one seed.
struct Case {
  const Scenario* scenario;
  uint64_t seed;
};

// Writes `text` to `path` (replacing it); false when it cannot.
bool WriteFile(const std::string& path, const std::string& text);

// The options of `protean-harness run`.

// The cases of a run command and their shared progress; workers take cases
// in order, report as they finish, and stop at a fatal error.
class CaseQueue {
 public:
  CaseQueue(const RunCommandOptions& o, std::vector<Case> cases)
      : o_(o), cases_(std::move(cases)), results_(cases_.size()) {}

  // Runs cases (in order, as workers free up) while their index is below
  // `end`; Restart(i) makes case i the next one.
  void Work(size_t end);
  void Restart(size_t i) { next_ = i; }
  const std::vector<CaseResult>& results() const { return results_; }
  std::string fatal() const {
    MutexLock lock(&mu_);
    return fatal_;
  }
  bool tty() const { return tty_; }
  size_t failed() const {
    MutexLock lock(&mu_);
    return failed_;
  }
  size_t skipped() const {
    MutexLock lock(&mu_);
    return skipped_;
  }
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  CaseResult RunOne(const Case& c);
  CaseResult RunMode(const Case& c, const std::string& mode, History* history);
  CaseResult RunBoth(const Case& c);
  std::string DomainFlag() const;
  void Report(size_t i, CaseResult r);

  const RunCommandOptions& o_;
  std::vector<Case> cases_;
  std::vector<CaseResult> results_;
  std::atomic<size_t> next_{0};
  mutable Mutex mu_;  // guards what follows, and stderr
  size_t done_ PROTEAN_GUARDED_BY(mu_) = 0;
  size_t failed_ PROTEAN_GUARDED_BY(mu_) = 0;
  size_t skipped_ PROTEAN_GUARDED_BY(mu_) = 0;
  std::string fatal_ PROTEAN_GUARDED_BY(mu_);
  const bool tty_ = isatty(STDERR_FILENO) != 0;
  const std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace protean::harness
