#pragma once
// Runs tests/interop/protean_wire.py, the Python stand-in for Protean, with
// /usr/bin/python3 (Debian's, which has python3-redis), and returns its
// stdout. For tests only.

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace protean::python_tool {

inline constexpr const char* kPython = "/usr/bin/python3";

inline std::string Script() {
  return std::string(PROTEAN_SOURCE_DIR) + "/tests/interop/protean_wire.py";
}

// Why the tool cannot run here, or "" when it can.
inline std::string Unavailable() {
  if (access(kPython, X_OK) != 0) return std::string(kPython) + " not found";
  if (access(Script().c_str(), R_OK) != 0) return Script() + " not found";
  return "";
}

inline std::string ShellQuote(std::string_view arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// `protean_wire.py <args...> [<file holding input>]`; kInternal with its
// stderr tail when it exits non-zero.
inline Result<std::string> Run(const std::vector<std::string>& args, std::string_view input = {}) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string stem =
      "protean_wire_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  const std::string in_path = (dir / (stem + ".in")).string();
  const std::string err_path = (dir / (stem + ".err")).string();
  std::string cmd = std::string(kPython) + " " + ShellQuote(Script());
  for (const std::string& a : args) cmd += " " + ShellQuote(a);
  if (!input.empty()) {
    std::ofstream(in_path, std::ios::binary) << input;
    cmd += " " + ShellQuote(in_path);
  }
  cmd += " 2>" + ShellQuote(err_path);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return Status::Internal("popen failed: " + cmd);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int rc = pclose(pipe);
  std::string err;
  {
    std::ifstream f(err_path, std::ios::binary);
    err.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  std::filesystem::remove(in_path);
  std::filesystem::remove(err_path);
  if (rc != 0) {
    return Status::Internal("protean_wire.py exited " + std::to_string(rc) + ": " +
                            err.substr(err.size() > 2000 ? err.size() - 2000 : 0));
  }
  return out;
}

inline Result<std::string> Run(const std::string& command, std::string_view input) {
  return Run(std::vector<std::string>{command}, input);
}

}  // namespace protean::python_tool
