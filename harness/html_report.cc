// The pages of the HTML report and WriteHtmlReport. Pages are a skeleton, the
// embedded CSS and JavaScript, and one JSON document the script renders; no
// text of a case reaches the HTML other than inside that JSON.

#include "harness/html_report.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "harness/checkers.h"
#include "harness/history.h"
#include "harness/report_assets.h"
#include "harness/report_internal.h"

namespace protean::harness {
namespace {

using nlohmann::json;

constexpr size_t kDiffsShown = 500;
constexpr size_t kIndexFailuresShown = 5;

template <typename Json>
std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A summary case, with the history as found and the page.
nlohmann::ordered_json CaseJson(const ReportCase& c) {
  nlohmann::ordered_json j = internal::CaseToJson(c.result);
  j["name"] = CaseName(c.result);
  j["history"] = c.history_file;
  j["page"] = c.page;
  return j;
}

// JSON inside <script>: every '<' (only ever inside strings) escaped, so no
// "</script>" or "<!--" can end or change the element.
std::string ScriptSafe(const std::string& j) {
  std::string out;
  out.reserve(j.size() + 64);
  for (char c : j) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Page(const std::string& body_class, const std::string& data,
                 std::initializer_list<const char*> scripts) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>protean-harness report</title>\n<style>\n" +
      ReportAsset("report.css") + "</style>\n</head>\n<body class=\"" + body_class + "\">\n" +
      "<div id=\"app\"><noscript>This report needs JavaScript.</noscript></div>\n"
      "<div id=\"selfcheck\" data-ok=\"0\" hidden></div>\n"
      "<script type=\"application/json\" id=\"report-data\">" +
      ScriptSafe(data) + "</script>\n";
  for (const char* s : scripts) html += "<script>\n" + ReportAsset(s) + "</script>\n";
  return html + "</body>\n</html>\n";
}

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  *ok = static_cast<bool>(in) || in.eof();
  return text.str();
}

bool WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

// The timeline of one case's history, or nullopt when it cannot be read.
std::optional<CaseTimeline> LoadTimeline(const ReportCase& c, size_t* events) {
  if (c.history_file.empty()) return std::nullopt;
  bool ok = false;
  const std::string text = ReadFile(c.history_file, &ok);
  if (!ok) return std::nullopt;
  Result<History> history = History::Parse(text);
  if (!history.ok()) return std::nullopt;
  *events += history->events.size();
  return BuildCaseTimeline(*history, RunCheckers(*history));
}

}  // namespace

std::string CaseFileStem(const CaseResult& r) {
  std::string id = r.suite + "/" + r.scenario;
  for (char& c : id) {
    if (c == '/' || c == ' ') c = '_';
  }
  return id + "__" + r.mode + "__" + std::to_string(r.seed);
}

std::string CasePageHtml(const ReportCase& c, const CaseTimeline& timeline, const ReportCase* twin,
                         const CaseTimeline* twin_timeline) {
  // Built as text: the timelines are already JSON and may be large.
  std::string data = "{\"page\":\"case\",\"index\":\"../index.html\",\"runs\":[";
  data += "{\"case\":" + Dump(CaseJson(c)) + ",\"timeline\":" + CaseTimelineJson(timeline) + "}";
  if (twin != nullptr && twin_timeline != nullptr) {
    data += ",{\"case\":" + Dump(CaseJson(*twin)) +
            ",\"timeline\":" + CaseTimelineJson(*twin_timeline) + "}";
  }
  data += "],\"diff\":";
  if (twin != nullptr && twin_timeline != nullptr) {
    json diff = json::array();
    for (const MessageDiff& d : DiffTimelines(timeline, *twin_timeline, kDiffsShown)) {
      diff.push_back({{"sub", d.subscription}, {"n", d.ordinal}, {"a", d.row_a}, {"b", d.row_b}});
    }
    data += Dump(diff);
  } else {
    data += "null";
  }
  data += "}";
  return Page("case", data, {"common.js", "timeline.js", "case_page.js"});
}

std::string IndexPageHtml(const std::vector<ReportCase>& cases, const std::string& title) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const ReportCase& c : cases) {
    nlohmann::ordered_json row = CaseJson(c);
    std::vector<std::string> shown(
        c.result.failures.begin(),
        c.result.failures.begin() +
            static_cast<std::ptrdiff_t>(std::min(c.result.failures.size(), kIndexFailuresShown)));
    row["failures"] = shown;
    row["failure_count"] = c.result.failures.size();
    rows.push_back(std::move(row));
  }
  const nlohmann::ordered_json data = {
      {"page", "index"}, {"title", title}, {"cases", std::move(rows)}};
  return Page("index", Dump(data), {"common.js", "index_page.js"});
}

Result<HtmlReportStats> WriteHtmlReport(std::vector<ReportCase> cases, const std::string& out_dir) {
  const auto t0 = std::chrono::steady_clock::now();
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(out_dir) / "cases", ec);
  if (ec) return Status::Internal("cannot create " + out_dir + "/cases: " + ec.message());
  HtmlReportStats stats;
  stats.cases = cases.size();
  // Cases of one suite/scenario/seed (memory and test: a differential pair)
  // are drawn together, then dropped.
  std::map<std::tuple<std::string, std::string, uint64_t>, std::vector<size_t>> groups;
  std::set<std::string> pages;
  for (size_t i = 0; i < cases.size(); ++i) {
    ReportCase& c = cases[i];
    if (c.history_file.empty()) continue;
    std::string page = "cases/" + CaseFileStem(c.result);
    for (int n = 2; !pages.insert(page).second; ++n) {
      page = "cases/" + CaseFileStem(c.result) + "_" + std::to_string(n);
    }
    c.page = page + ".html";
    groups[{c.result.suite, c.result.scenario, c.result.seed}].push_back(i);
  }
  for (const auto& [key, members] : groups) {
    std::vector<std::optional<CaseTimeline>> timelines;
    for (size_t i : members) timelines.push_back(LoadTimeline(cases[i], &stats.events));
    for (size_t k = 0; k < members.size(); ++k) {
      ReportCase& c = cases[members[k]];
      if (!timelines[k]) {
        c.page.clear();
        continue;
      }
      const ReportCase* twin = nullptr;
      const CaseTimeline* twin_timeline = nullptr;
      for (size_t o = 0; o < members.size(); ++o) {
        const ReportCase& other = cases[members[o]];
        if (o != k && timelines[o] && other.result.mode != c.result.mode) {
          twin = &other;
          twin_timeline = &*timelines[o];
          break;
        }
      }
      if (!WriteFile(fs::path(out_dir) / c.page,
                     CasePageHtml(c, *timelines[k], twin, twin_timeline))) {
        return Status::Internal("cannot write " + out_dir + "/" + c.page);
      }
      ++stats.pages;
    }
  }
  if (!WriteFile(fs::path(out_dir) / "index.html", IndexPageHtml(cases, "protean-harness run"))) {
    return Status::Internal("cannot write " + out_dir + "/index.html");
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace protean::harness
