#include "harness/report_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "harness/html_report.h"

namespace protean::harness {
namespace {

// The JSON summaries a run folder holds (`run --report` writes summary-<mode>.json).
std::vector<std::string> SummariesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("summary-", 0) == 0 && entry.path().extension() == ".json") {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int RunReportCommand(const std::string& run_dir, std::vector<std::string> summaries,
                     std::vector<std::string> history_dirs, std::string out_dir) {
  if (!run_dir.empty()) {
    if (!std::filesystem::is_directory(run_dir)) {
      std::fprintf(stderr, "protean-harness report: %s is not a folder\n", run_dir.c_str());
      return 2;
    }
    for (const std::string& s : SummariesIn(run_dir)) summaries.push_back(s);
    if (summaries.empty() && history_dirs.empty()) {
      history_dirs.push_back(run_dir);
      if (std::filesystem::is_directory(run_dir + "/histories")) {
        history_dirs.push_back(run_dir + "/histories");
      }
    }
    if (out_dir.empty()) out_dir = run_dir;
  }
  if (out_dir.empty()) {
    std::fprintf(stderr, "protean-harness report: give a run folder or --out DIR\n");
    return 2;
  }
  if (summaries.empty() && history_dirs.empty()) {
    std::fprintf(stderr, "protean-harness report: no summary (--json) and no --history folder\n");
    return 2;
  }
  Result<std::vector<ReportCase>> cases = CollectReportCases(summaries, history_dirs);
  if (!cases.ok()) {
    std::fprintf(stderr, "protean-harness report: %s\n", cases.status().message().c_str());
    return 2;
  }
  if (cases->empty()) {
    std::fprintf(stderr, "protean-harness report: no cases in the summaries or folders given\n");
    return 2;
  }
  Result<HtmlReportStats> stats = WriteHtmlReport(std::move(*cases), out_dir);
  if (!stats.ok()) {
    std::fprintf(stderr, "protean-harness report: %s\n", stats.status().message().c_str());
    return 2;
  }
  std::printf("report: %s/index.html (%zu cases, %zu pages, %zu events, %.2f s)\n", out_dir.c_str(),
              stats->cases, stats->pages, stats->events, stats->seconds);
  return 0;
}

}  // namespace protean::harness
