#pragma once
// `protean-harness shrink FILE --seed S [--out DIR] [--runs-max N]`
//
// Reduces a failing scenario while its failure reproduces (memory mode, the
// same seed): fewer faults, workloads, messages, handlers and instances,
// shorter windows and delays, ranges turned into single values, optional
// keys and expectations removed. A reduction is kept when the run still
// fails at least one of the checkers that failed originally (the same kind
// of failure, not just any); greedy, coarse steps first, until no step
// applies or runs_max runs were spent. Writes the smallest scenario to
// DIR/<suite>/<file name> (the suite is the folder's name, so it keeps its
// id) with a comment naming the seed and the replay command, and prints it.
//
// Exit 0 when a reduced scenario was written, 1 when FILE does not fail
// under the seed (nothing to shrink), 2 on a usage or load error.

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace protean::harness {

struct ShrinkOptions {
  std::filesystem::path file;
  uint64_t seed = 1;
  std::filesystem::path out_dir = "shrunk";
  int64_t runs_max = 2000;
};

struct ShrinkResult {
  bool failed_originally = false;
  std::vector<std::string> checkers;  // that failed originally
  std::filesystem::path written;      // the reduced scenario
  std::vector<std::string> steps;     // reductions kept, in order
  int64_t runs = 0;
  std::string first_failure;  // of the reduced scenario
};

// Throws config::ConfigurationError when FILE does not load.
ShrinkResult Shrink(const ShrinkOptions& options, std::ostream& log);

// Adds the `shrink` subcommand to `app`; its callback runs it and stores the
// exit code in *exit_code, which must outlive app.parse().
void RegisterShrinkCommand(CLI::App& app, int* exit_code);

}  // namespace protean::harness
