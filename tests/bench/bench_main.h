#pragma once
// Shared main for the benchmark programs: runs Google Benchmark (table on
// stderr) and prints one JSON line per exported figure on stdout:
//   {"metric": "redis_consume_ack_msgs_per_s", "value": 123456, "unit": "msgs/s",
//    "min": 120000, "max": 130000, "runs": 3}
//   {"scaling": "subscriptions", "n": 10, "value": 98765, "unit": "msgs/s"}
// "min", "max" and "runs" appear when a figure was sampled several times
// (Samples below, or --benchmark_repetitions); "value" is then the median.
//
// Failure is loud: the program exits 1 when any benchmark called
// SkipWithError (each error is printed on stderr at the end), and a watchdog
// thread ends the program with exit code 3 once the whole run exceeds its
// budget (--bench_budget_s=N or $BENCH_BUDGET_S, default 900 s), naming the
// benchmark and the step that overran and killing the child processes the
// benchmarks registered.
//
// Thread-safety: every function here may be called from any thread.

#include <sys/types.h>

#include <string>
#include <vector>

namespace benchmark {
class State;
}  // namespace benchmark

namespace protean::bench {

// Exports `counter` of `benchmark` ("BM_Name" or "BM_Name/<args>") as a
// metric; `counter` empty = items_per_second. A counter `<counter>_min`,
// `<counter>_max` and `<counter>_runs` beside it (Samples::Publish) give the
// line its min, max and runs.
void ExportMetric(const std::string& benchmark, const std::string& metric, const std::string& unit,
                  const std::string& counter = "");
// Exports `counter` of `benchmark` as the point `n` of scaling section `section`.
void ExportScaling(const std::string& benchmark, const std::string& section, double n,
                   const std::string& unit, const std::string& counter);

// Values of one figure, one per iteration of a benchmark: Publish sets the
// counters `name` (the median), `name_min`, `name_max` and `name_runs`.
class Samples {
 public:
  void Add(double value) { values_.push_back(value); }
  bool empty() const { return values_.empty(); }
  double Median() const;
  void Publish(benchmark::State& state, const std::string& name) const;

 private:
  std::vector<double> values_;
};

// The benchmark running now, for the watchdog's message: set on
// construction, cleared on destruction.
class Running {
 public:
  explicit Running(std::string benchmark);
  ~Running();
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
};
// What the running benchmark is doing now ("round 2: waiting for 20000
// messages handled"); the watchdog prints it with how long it has lasted.
void SetStep(std::string step);

// Child processes the watchdog kills (SIGKILL to the process group `pgid`)
// before it exits. Unregister once the child is reaped.
void RegisterChild(pid_t pgid);
void UnregisterChild(pid_t pgid);

}  // namespace protean::bench
