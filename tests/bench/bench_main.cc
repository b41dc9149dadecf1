#include "tests/bench/bench_main.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <vector>

#include <benchmark/benchmark.h>

namespace protean::bench {
namespace {

struct Export {
  std::string metric, unit, counter;
};

std::multimap<std::string, Export>& Exports() {
  static std::multimap<std::string, Export> exports;
  return exports;
}

// Forwards to the console reporter and remembers each run's figures.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      // "BM_Name", or "BM_Name/<args>" for a benchmark with arguments.
      std::string name = run.run_name.function_name;
      if (!run.run_name.args.empty()) name += "/" + run.run_name.args;
      auto [lo, hi] = Exports().equal_range(name);
      for (auto it = lo; it != hi; ++it) {
        const std::string key = it->second.counter.empty() ? "items_per_second" : it->second.counter;
        auto c = run.counters.find(key);
        if (c == run.counters.end()) continue;
        // Counters reach reporters finished: rates are already per second.
        const double value = c->second.value;
        lines_.push_back("{\"metric\": \"" + it->second.metric + "\", \"value\": " +
                         std::to_string(value) + ", \"unit\": \"" + it->second.unit + "\"}");
      }
    }
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

}  // namespace

void ExportMetric(const std::string& benchmark, const std::string& metric, const std::string& unit,
                  const std::string& counter) {
  Exports().emplace(benchmark, Export{metric, unit, counter});
}

}  // namespace protean::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  protean::bench::CollectingReporter reporter;
  reporter.SetOutputStream(&std::cerr);
  reporter.SetErrorStream(&std::cerr);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  for (const auto& line : reporter.lines()) std::printf("%s\n", line.c_str());
  return 0;
}
