#pragma once
// `protean-harness report [RUN_DIR] [--json FILE]... [--history DIR]... [--out DIR]`:
// the HTML report of a run (harness/html_report.h) from its JSON summaries
// and history folders; a run folder (`run --report DIR`) gives both. Returns
// the exit code: 0 written, 2 nothing to report or an unreadable input (one
// line on stderr).

#include <string>
#include <vector>

namespace protean::harness {

int RunReportCommand(const std::string& run_dir, std::vector<std::string> summaries,
                     std::vector<std::string> history_dirs, std::string out_dir);

}  // namespace protean::harness
