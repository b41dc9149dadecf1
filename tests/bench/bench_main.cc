#include "tests/bench/bench_main.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

namespace protean::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// One exported line: what to read from which run, and how to print it.
struct Export {
  std::string counter;  // "" = items_per_second
  std::string unit;
  std::string metric;   // a metric line, or
  std::string section;  // a scaling point
  double n = 0;
};

// The figures read so far, one per export, in the order first seen.
struct Figure {
  const Export* spec = nullptr;
  std::vector<double> medians;
  double min = 0, max = 0;
  int runs = 0;
};

struct Shared {
  std::mutex mu;
  std::multimap<std::string, Export> exports;
  std::vector<std::string> order;  // figure keys in the order first seen
  std::map<std::string, Figure> figures;
  std::vector<std::string> errors;
  std::string running;
  std::string step;
  SteadyClock::time_point step_since = SteadyClock::now();
  std::set<pid_t> children;
};

Shared& G() {
  static Shared* shared = new Shared;  // never destroyed: the watchdog may outlive main
  return *shared;
}

double MedianOf(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

std::string Number(double v) {
  std::ostringstream out;
  out.precision(6);
  out << std::fixed << v;
  std::string s = out.str();
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

// Caller holds G().mu.
std::string LineOf(const Figure& f) {
  const Export& e = *f.spec;
  std::string line = "{";
  if (!e.metric.empty()) {
    line += "\"metric\": \"" + e.metric + "\"";
  } else {
    line += "\"scaling\": \"" + e.section + "\", \"n\": " + Number(e.n);
  }
  line += ", \"value\": " + Number(MedianOf(f.medians)) + ", \"unit\": \"" + e.unit + "\"";
  if (f.runs > 1) {
    line += ", \"min\": " + Number(f.min) + ", \"max\": " + Number(f.max) +
            ", \"runs\": " + std::to_string(f.runs);
  }
  return line + "}";
}

void PrintFigures() {
  std::lock_guard<std::mutex> lock(G().mu);
  for (const std::string& key : G().order) std::printf("%s\n", LineOf(G().figures[key]).c_str());
  std::fflush(stdout);
}

// Forwards to the console reporter, remembers each run's figures and errors.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    std::lock_guard<std::mutex> lock(G().mu);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      // "BM_Name", or "BM_Name/<args>" for a benchmark with arguments.
      std::string name = run.run_name.function_name;
      if (!run.run_name.args.empty()) name += "/" + run.run_name.args;
      if (run.error_occurred) {
        G().errors.push_back(name + ": " + run.error_message);
        continue;
      }
      auto [lo, hi] = G().exports.equal_range(name);
      for (auto it = lo; it != hi; ++it) Take(name, it->second, run.counters);
    }
  }

 private:
  static void Take(const std::string& name, const Export& e, const benchmark::UserCounters& c) {
    const std::string key = e.counter.empty() ? "items_per_second" : e.counter;
    auto value = c.find(key);
    if (value == c.end()) {
      G().errors.push_back(name + ": no counter '" + key + "' for " + e.metric + e.section);
      return;
    }
    // Counters reach reporters finished: rates are already per second.
    auto get = [&](const std::string& suffix, double fallback) {
      auto it = c.find(key + suffix);
      return it == c.end() ? fallback : it->second.value;
    };
    const std::string fkey = name + "\n" + e.metric + e.section + Number(e.n);
    auto [it, fresh] = G().figures.try_emplace(fkey);
    Figure& f = it->second;
    if (fresh) {
      f.spec = &e;
      G().order.push_back(fkey);
    }
    const double lo = get("_min", value->second.value);
    const double hi = get("_max", value->second.value);
    f.min = f.runs == 0 ? lo : std::min(f.min, lo);
    f.max = f.runs == 0 ? hi : std::max(f.max, hi);
    f.runs += static_cast<int>(get("_runs", 1));
    f.medians.push_back(value->second.value);
  }
};

// Ends the program once `budget` has passed since Start, unless Stop comes first.
class Watchdog {
 public:
  void Start(std::chrono::seconds budget) {
    thread_ = std::thread([this, budget] {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, budget, [this] { return stop_; })) return;
      Overrun(budget);
    });
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  static void Overrun(std::chrono::seconds budget) {
    {
      std::lock_guard<std::mutex> lock(G().mu);
      const auto step_for =
          std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() - G().step_since);
      std::fprintf(stderr,
                   "\n[bench] WATCHDOG: the run exceeded its budget of %lld s; running: %s; "
                   "step: %s (for %lld s). Killing %zu child process group(s) and exiting 3.\n",
                   static_cast<long long>(budget.count()),
                   G().running.empty() ? "(between benchmarks)" : G().running.c_str(),
                   G().step.empty() ? "(none)" : G().step.c_str(),
                   static_cast<long long>(step_for.count()), G().children.size());
      for (pid_t pgid : G().children) kill(-pgid, SIGKILL);
    }
    PrintFigures();  // what was measured so far
    std::fflush(stderr);
    _exit(3);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Removes --bench_budget_s=N from argv; the budget from it, $BENCH_BUDGET_S or 900 s.
std::chrono::seconds TakeBudget(int* argc, char** argv) {
  const char* env = std::getenv("BENCH_BUDGET_S");
  long seconds = env != nullptr && *env != '\0' ? std::atol(env) : 900;
  const char* flag = "--bench_budget_s=";
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0) {
      seconds = std::atol(argv[i] + std::strlen(flag));
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  return std::chrono::seconds(std::max(1L, seconds));
}

}  // namespace

void ExportMetric(const std::string& benchmark, const std::string& metric, const std::string& unit,
                  const std::string& counter) {
  std::lock_guard<std::mutex> lock(G().mu);
  G().exports.emplace(benchmark, Export{counter, unit, metric, "", 0});
}

void ExportScaling(const std::string& benchmark, const std::string& section, double n,
                   const std::string& unit, const std::string& counter) {
  std::lock_guard<std::mutex> lock(G().mu);
  G().exports.emplace(benchmark, Export{counter, unit, "", section, n});
}

double Samples::Median() const { return MedianOf(values_); }

void Samples::Publish(benchmark::State& state, const std::string& name) const {
  if (values_.empty()) return;
  state.counters[name] = Median();
  state.counters[name + "_min"] = *std::min_element(values_.begin(), values_.end());
  state.counters[name + "_max"] = *std::max_element(values_.begin(), values_.end());
  state.counters[name + "_runs"] = static_cast<double>(values_.size());
}

Running::Running(std::string benchmark) {
  std::lock_guard<std::mutex> lock(G().mu);
  G().running = std::move(benchmark);
  G().step.clear();
  G().step_since = SteadyClock::now();
}

Running::~Running() {
  std::lock_guard<std::mutex> lock(G().mu);
  G().running.clear();
  G().step.clear();
}

void SetStep(std::string step) {
  std::lock_guard<std::mutex> lock(G().mu);
  G().step = std::move(step);
  G().step_since = SteadyClock::now();
}

void RegisterChild(pid_t pgid) {
  std::lock_guard<std::mutex> lock(G().mu);
  G().children.insert(pgid);
}

void UnregisterChild(pid_t pgid) {
  std::lock_guard<std::mutex> lock(G().mu);
  G().children.erase(pgid);
}

}  // namespace protean::bench

int main(int argc, char** argv) {
  using protean::bench::G;
  const std::chrono::seconds budget = protean::bench::TakeBudget(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  protean::bench::Watchdog watchdog;
  watchdog.Start(budget);
  protean::bench::CollectingReporter reporter;
  reporter.SetOutputStream(&std::cerr);
  reporter.SetErrorStream(&std::cerr);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  watchdog.Stop();
  protean::bench::PrintFigures();
  std::lock_guard<std::mutex> lock(G().mu);
  if (G().errors.empty()) return 0;
  std::fprintf(stderr, "\n[bench] %zu benchmark(s) failed:\n", G().errors.size());
  for (const std::string& e : G().errors) std::fprintf(stderr, "[bench]   %s\n", e.c_str());
  return 1;
}
