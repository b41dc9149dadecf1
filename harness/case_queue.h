#pragma once
// The cases of a `protean-harness run` and the workers that run them: each
// case in its mode (or, with --protean-env both, in memory mode, then in test
// mode, and the differential verdict over the two: harness/differential.h),
// its history written to --history DIR, and the progress line.
//
// Scheduling (RunSchedule, one mechanism for every run): the cases outside
// the serial group first, taken in order by up to --jobs workers; then the
// serial group's (a fault on a service every case shares: CLIENT PAUSE, a
// PostgreSQL restart), one at a time with nothing else running. Results
// keep the order of the case list whatever the order cases finish in, and
// a service that cannot be reached stops the run (fatal()): no case starts
// after it.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "harness/history.h"
#include "harness/report.h"
#include "harness/run_command.h"
#include "harness/scenario.h"

namespace protean::harness {

// One scenario under one seed; `serial`: in the serial group.
struct Case {
  const Scenario* scenario;
  uint64_t seed;
  bool serial = false;
};

// Runs run(i) once for each i with serial[i] false, on up to `jobs` threads
// (fewer when there are fewer such cases), each thread taking the lowest
// index not yet taken; once they are all done, run(i) for each serial i, in
// order, on the calling thread, so that none overlaps any other case. A
// run(i) returning false stops the schedule: cases already running finish,
// no other starts. Returns when nothing runs.
void RunSchedule(const std::vector<bool>& serial, int jobs, const std::function<bool(size_t)>& run);

// Writes `text` to `path` (replacing it); false when it cannot.
bool WriteFile(const std::string& path, const std::string& text);

// The cases of a run command and their shared progress.
class CaseQueue {
 public:
  // Runs one case (the default: RunOne, the scenario in its world). May
  // throw ServiceUnavailable, which stops the run.
  using CaseRunner = std::function<CaseResult(const Case&)>;

  CaseQueue(const RunCommandOptions& o, std::vector<Case> cases, CaseRunner runner = nullptr)
      : o_(o), cases_(std::move(cases)), results_(cases_.size()), runner_(std::move(runner)) {}

  // Runs every case as RunSchedule says, with o.jobs workers.
  void RunAll();
  // In the order of the case list.
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
  // Case i, reported; false after a fatal error.
  bool Take(size_t i);
  CaseResult RunOne(const Case& c);
  CaseResult RunMode(const Case& c, const std::string& mode, History* history);
  CaseResult RunBoth(const Case& c);
  std::string DomainFlag() const;
  void Report(size_t i, CaseResult r);

  const RunCommandOptions& o_;
  std::vector<Case> cases_;
  std::vector<CaseResult> results_;
  CaseRunner runner_;
  mutable Mutex mu_;  // guards what follows, and stderr
  size_t done_ PROTEAN_GUARDED_BY(mu_) = 0;
  size_t failed_ PROTEAN_GUARDED_BY(mu_) = 0;
  size_t skipped_ PROTEAN_GUARDED_BY(mu_) = 0;
  std::string fatal_ PROTEAN_GUARDED_BY(mu_);
  const bool tty_ = isatty(STDERR_FILENO) != 0;
  const std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace protean::harness
