#pragma once
// Reports of a harness run: JUnit XML (one test case per
// suite/scenario/mode/seed, unique names, properties seed and mode, the replay
// command as the first line of a failure), a JSON summary, the live progress
// line and the summary table printed at the end.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace protean::harness {

// One `protean server` process of a test-mode case.
struct ServerProcessRecord {
  std::string instance;  // w0, w1, ...
  int64_t pid = 0;
  std::string outcome;  // "exit 0", "killed by SIGKILL"
  int exit_code = -1;   // -1: ended by a signal
};

struct CaseResult {
  std::string suite;
  std::string scenario;
  std::string file;
  std::string mode;  // memory | test
  uint64_t seed = 0;
  bool skipped = false;
  std::string skip_reason;
  std::vector<std::string> failures;  // "checker: violation" lines; empty = passed
  double sim_seconds = 0;
  double wall_seconds = 0;
  int64_t events = 0;
  std::string replay_command;  // one line that reruns exactly this case
  std::string history_path;    // when written
  // Test mode: the case's `protean server` processes, in start order, and
  // the folder of their files (domain, history, stdout, stderr) when kept.
  std::vector<ServerProcessRecord> processes;
  std::string files_dir;
  // A differential case (mode "both"): "compared", "compared except
  // attempts: why", or "not compared: why".
  std::string differential;
  bool passed() const { return !skipped && failures.empty(); }
};

// "suite/scenario [mode seed=S]": unique per case.
std::string CaseName(const CaseResult& r);

std::string JUnitXml(const std::vector<CaseResult>& results, double total_wall_seconds);
std::string JsonSummary(const std::vector<CaseResult>& results, double total_wall_seconds);
// Reads a JSON summary back (fails, kInvalidArgument, on text that is not one).
Result<std::vector<CaseResult>> ParseJsonSummary(std::string_view text);
// "[ 12/40] 1 failed, 0 skipped, 3.2 s" (no newline).
std::string ProgressLine(size_t done, size_t total, size_t failed, size_t skipped,
                         double elapsed_seconds);
// A fixed-width table: suite, scenario, mode, seeds run, passed, failed, skipped,
// simulated time, wall time; then failures with their replay commands.
std::string SummaryTable(const std::vector<CaseResult>& results);

}  // namespace protean::harness
