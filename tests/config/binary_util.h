#pragma once
// Running the `protean` CLI in the tests of tests/config: the built binary
// (with `env -i`, so the test run's environment cannot leak in) and the
// command functions in-process.

#include <string>
#include <vector>

namespace protean::cli::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the built binary with only `env_vars` ("A=1 B=2") in its environment.
// The run is killed after `timeout_seconds` (exit code 124, as timeout(1)).
RunResult RunBinary(const std::string& args, const std::string& env_vars = "",
                    int timeout_seconds = 60);

// RunProteanCli in this process with "protean" prepended to `args`.
RunResult RunInProcess(std::vector<const char*> args);

// Single-quotes `text` for a shell command line.
std::string ShellQuote(const std::string& text);

}  // namespace protean::cli::testing
