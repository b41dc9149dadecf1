#include "tests/config/binary_util.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "app/cli.h"
#include "tests/config/test_util.h"

namespace protean::cli::testing {

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

RunResult RunBinary(const std::string& args, const std::string& env_vars, int timeout_seconds) {
  config::testing::TempDir dir;
  std::filesystem::path err_file = dir.path() / "stderr.txt";
  std::string command = "timeout -k 5 " + std::to_string(timeout_seconds) + " env -i " + env_vars +
                        " '" PROTEAN_CLI_PATH "' " + args + " 2>'" + err_file.string() + "'";
  RunResult run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    return run;
  }
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.out.append(buffer, n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = config::testing::ReadFile(err_file);
  return run;
}

RunResult RunInProcess(std::vector<const char*> args) {
  args.insert(args.begin(), "protean");
  std::ostringstream out;
  std::ostringstream err;
  RunResult run;
  run.exit_code = RunProteanCli(static_cast<int>(args.size()), args.data(), out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

}  // namespace protean::cli::testing
