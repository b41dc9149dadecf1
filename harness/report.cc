#include "harness/report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "harness/report_internal.h"

namespace protean::harness {
namespace {

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// Decodes one UTF-8 sequence at s[i]; returns the code point (or -1 when the
// bytes are not valid UTF-8) and advances i past what was read.
int32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int extra = 0;
  int32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    extra = 1, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3, cp = c & 0x07;
  } else {
    return -1;
  }
  for (int k = 0; k < extra; ++k) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  static const int32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  return cp;
}

// Text safe for XML 1.0 content or a double-quoted attribute: markup
// characters as entities, characters XML cannot carry (most control
// characters, U+FFFE/U+FFFF) written visibly as "\uXXXX", invalid UTF-8 as
// U+FFFD. In attributes, tab/newline/CR are character references so a
// reader keeps them.
std::string XmlEscape(std::string_view s, bool attribute) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t begin = i;
    const int32_t cp = NextCodePoint(s, i);
    if (cp < 0) {
      out += "\xEF\xBF\xBD";
      continue;
    }
    switch (cp) {
      case '&':
        out += "&amp;";
        continue;
      case '<':
        out += "&lt;";
        continue;
      case '>':
        out += "&gt;";
        continue;
      case '"':
        out += attribute ? "&quot;" : "\"";
        continue;
      case '\'':
        out += attribute ? "&apos;" : "'";
        continue;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        continue;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        continue;
      case '\r':
        out += "&#13;";
        continue;
      default:
        break;
    }
    if (cp < 0x20 || cp == 0x7F || cp == 0xFFFE || cp == 0xFFFF) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(cp));
      out += buf;
      continue;
    }
    out.append(s.substr(begin, i - begin));
  }
  return out;
}

std::string Attr(const char* name, std::string_view value) {
  return std::string(" ") + name + "=\"" + XmlEscape(value, true) + "\"";
}

const char* Status(const CaseResult& r) {
  return r.skipped ? "skipped" : r.failures.empty() ? "passed" : "failed";
}

struct Counts {
  size_t tests = 0, failures = 0, skipped = 0;
  double seconds = 0;
  void Add(const CaseResult& r) {
    ++tests;
    failures += !r.skipped && !r.failures.empty() ? 1 : 0;
    skipped += r.skipped ? 1 : 0;
    seconds += r.wall_seconds;
  }
  std::string Attrs() const {
    return Attr("tests", std::to_string(tests)) + Attr("failures", std::to_string(failures)) +
           Attr("errors", "0") + Attr("skipped", std::to_string(skipped));
  }
};

// "w0 pid=4242 exit 0"
std::string ProcessLine(const ServerProcessRecord& p) {
  return p.instance + " pid=" + std::to_string(p.pid) + " " + p.outcome;
}

std::string TestCaseXml(const CaseResult& r, const std::string& classname,
                        const std::string& name) {
  std::string x = "    <testcase" + Attr("classname", classname) + Attr("name", name) +
                  Attr("time", Fixed(r.wall_seconds, 3)) + ">\n";
  x += "      <properties>\n";
  x += "        <property" + Attr("name", "seed") + Attr("value", std::to_string(r.seed)) + "/>\n";
  x += "        <property" + Attr("name", "mode") + Attr("value", r.mode) + "/>\n";
  if (!r.file.empty())
    x += "        <property" + Attr("name", "file") + Attr("value", r.file) + "/>\n";
  if (!r.history_path.empty()) {
    x += "        <property" + Attr("name", "history") + Attr("value", r.history_path) + "/>\n";
  }
  for (const ServerProcessRecord& p : r.processes) {
    x += "        <property" + Attr("name", "protean_server") + Attr("value", ProcessLine(p)) +
         "/>\n";
  }
  if (!r.files_dir.empty()) {
    x += "        <property" + Attr("name", "files") + Attr("value", r.files_dir) + "/>\n";
  }
  x += "      </properties>\n";
  if (r.skipped) {
    x += "      <skipped" + Attr("message", r.skip_reason) + "/>\n";
  } else if (!r.failures.empty()) {
    const std::string message = std::to_string(r.failures.size()) + " violation" +
                                (r.failures.size() == 1 ? "" : "s") +
                                "; first: " + r.failures.front();
    std::string text = r.replay_command.empty() ? "(no replay command)" : r.replay_command;
    for (const std::string& f : r.failures) text += "\n" + f;
    x += "      <failure" + Attr("message", message) + Attr("type", "violations") + ">" +
         XmlEscape(text, false) + "</failure>\n";
  }
  if (!r.processes.empty()) {
    std::string out = "protean server processes:";
    for (const ServerProcessRecord& p : r.processes) out += "\n  " + ProcessLine(p);
    if (!r.files_dir.empty()) out += "\nfiles: " + r.files_dir;
    x += "      <system-out>" + XmlEscape(out, false) + "</system-out>\n";
  }
  return x + "    </testcase>\n";
}

}  // namespace

std::string CaseName(const CaseResult& r) {
  return r.suite + "/" + r.scenario + " [" + r.mode + " seed=" + std::to_string(r.seed) + "]";
}

std::string JUnitXml(const std::vector<CaseResult>& results, double total_wall_seconds) {
  // One <testsuite> per suite and mode, in order of first appearance.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const CaseResult*>> suites;
  for (const CaseResult& r : results) {
    const std::string name = r.suite + "." + r.mode;
    if (suites.find(name) == suites.end()) order.push_back(name);
    suites[name].push_back(&r);
  }
  Counts all;
  for (const CaseResult& r : results) all.Add(r);
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites" + Attr("name", "protean-harness") + all.Attrs() +
       Attr("time", Fixed(total_wall_seconds, 3)) + ">\n";
  for (const std::string& suite : order) {
    Counts c;
    for (const CaseResult* r : suites[suite]) c.Add(*r);
    x += "  <testsuite" + Attr("name", suite) + c.Attrs() + Attr("time", Fixed(c.seconds, 3)) +
         ">\n";
    std::set<std::string> names;
    for (const CaseResult* r : suites[suite]) {
      const std::string base = r->scenario + " [seed=" + std::to_string(r->seed) + "]";
      std::string name = base;
      for (int n = 2; !names.insert(name).second; ++n) name = base + " #" + std::to_string(n);
      x += TestCaseXml(*r, suite, name);
    }
    x += "  </testsuite>\n";
  }
  return x + "</testsuites>\n";
}

namespace internal {

nlohmann::ordered_json CaseToJson(const CaseResult& r) {
  nlohmann::ordered_json j = {{"suite", r.suite},
                              {"scenario", r.scenario},
                              {"file", r.file},
                              {"mode", r.mode},
                              {"seed", r.seed},
                              {"status", Status(r)},
                              {"skip_reason", r.skip_reason},
                              {"failures", r.failures},
                              {"sim_seconds", r.sim_seconds},
                              {"wall_seconds", r.wall_seconds},
                              {"events", r.events},
                              {"replay", r.replay_command},
                              {"history", r.history_path}};
  if (!r.processes.empty()) {
    nlohmann::ordered_json ps = nlohmann::ordered_json::array();
    for (const ServerProcessRecord& p : r.processes) {
      ps.push_back({{"instance", p.instance},
                    {"pid", p.pid},
                    {"outcome", p.outcome},
                    {"exit_code", p.exit_code}});
    }
    j["processes"] = std::move(ps);
  }
  if (!r.files_dir.empty()) j["files"] = r.files_dir;
  return j;
}

CaseResult CaseFromJson(const nlohmann::ordered_json& c) {
  CaseResult r;
  r.suite = c.value("suite", "");
  r.scenario = c.value("scenario", "");
  r.file = c.value("file", "");
  r.mode = c.value("mode", "");
  r.seed = c.value("seed", uint64_t{0});
  const std::string status = c.value("status", "");
  r.skipped = status == "skipped";
  r.skip_reason = c.value("skip_reason", "");
  if (c.contains("failures") && c["failures"].is_array()) {
    for (const auto& f : c["failures"]) {
      if (f.is_string()) r.failures.push_back(f.get<std::string>());
    }
  }
  if (status == "failed" && r.failures.empty()) r.failures.push_back("failed");
  r.sim_seconds = c.value("sim_seconds", 0.0);
  r.wall_seconds = c.value("wall_seconds", 0.0);
  r.events = c.value("events", int64_t{0});
  r.replay_command = c.value("replay", "");
  r.history_path = c.value("history", "");
  if (c.contains("processes") && c["processes"].is_array()) {
    for (const auto& p : c["processes"]) {
      if (!p.is_object()) continue;
      r.processes.push_back(ServerProcessRecord{p.value("instance", ""), p.value("pid", int64_t{0}),
                                                p.value("outcome", ""), p.value("exit_code", -1)});
    }
  }
  r.files_dir = c.value("files", "");
  return r;
}

}  // namespace internal

std::string JsonSummary(const std::vector<CaseResult>& results, double total_wall_seconds) {
  using nlohmann::ordered_json;
  Counts all;
  ordered_json cases = ordered_json::array();
  for (const CaseResult& r : results) {
    all.Add(r);
    cases.push_back(internal::CaseToJson(r));
  }
  const ordered_json summary{{"total", all.tests},
                             {"passed", all.tests - all.failures - all.skipped},
                             {"failed", all.failures},
                             {"skipped", all.skipped},
                             {"wall_seconds", total_wall_seconds},
                             {"cases", std::move(cases)}};
  return summary.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

Result<std::vector<CaseResult>> ParseJsonSummary(std::string_view text) {
  using nlohmann::ordered_json;
  ordered_json j;
  try {
    j = ordered_json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("summary is not valid JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("cases") || !j["cases"].is_array()) {
    return Status::InvalidArgument("summary has no \"cases\" array");
  }
  std::vector<CaseResult> out;
  try {
    for (const ordered_json& c : j["cases"]) {
      if (c.is_object()) out.push_back(internal::CaseFromJson(c));
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("summary case: ") + e.what());
  }
  return out;
}

std::string ProgressLine(size_t done, size_t total, size_t failed, size_t skipped,
                         double elapsed_seconds) {
  const int width = std::max<int>(3, static_cast<int>(std::to_string(total).size()));
  char buf[160];
  std::snprintf(buf, sizeof(buf), "[%*zu/%zu] %zu failed, %zu skipped, %.1f s", width, done, total,
                failed, skipped, elapsed_seconds);
  return buf;
}

namespace {

// Cells of the summary table; the first three columns are text (left
// aligned), the rest numbers (right aligned).
using Row = std::vector<std::string>;

std::string FormatTable(const std::vector<Row>& rows) {
  std::vector<size_t> width(rows.front().size(), 0);
  for (const Row& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (size_t n = 0; n < rows.size(); ++n) {
    std::string line;
    for (size_t c = 0; c < rows[n].size(); ++c) {
      const std::string pad(width[c] - rows[n][c].size(), ' ');
      line += (c == 0 ? "" : "  ") + (c < 3 ? rows[n][c] + pad : pad + rows[n][c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (n == 0 || n + 2 == rows.size()) {
      size_t total = 0;
      for (size_t w : width) total += w + 2;
      out += std::string(total - 2, '-') + "\n";
    }
  }
  return out;
}

Row Cells(const std::string& suite, const std::string& scenario, const std::string& mode,
          const Counts& c, double sim) {
  return {suite,
          scenario,
          mode,
          std::to_string(c.tests),
          std::to_string(c.tests - c.failures - c.skipped),
          std::to_string(c.failures),
          std::to_string(c.skipped),
          Fixed(sim, 1) + " s",
          Fixed(c.seconds, 1) + " s"};
}

constexpr size_t kViolationsShown = 5;

}  // namespace

std::string SummaryTable(const std::vector<CaseResult>& results) {
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, std::pair<Counts, double>> groups;  // counts, simulated seconds
  Counts all;
  double all_sim = 0;
  for (const CaseResult& r : results) {
    auto& [counts, sim] = groups[Key{r.suite, r.scenario, r.mode}];
    counts.Add(r);
    sim += r.sim_seconds;
    all.Add(r);
    all_sim += r.sim_seconds;
  }
  std::vector<Row> rows = {
      {"suite", "scenario", "mode", "seeds", "passed", "failed", "skipped", "simulated", "wall"}};
  for (const auto& [key, group] : groups) {
    rows.push_back(
        Cells(std::get<0>(key), std::get<1>(key), std::get<2>(key), group.first, group.second));
  }
  rows.push_back(Cells("total", "", "", all, all_sim));
  std::string out = FormatTable(rows);
  std::set<std::string> skips;
  for (const CaseResult& r : results) {
    if (r.skipped) skips.insert(r.suite + "/" + r.scenario + " [" + r.mode + "]: " + r.skip_reason);
  }
  if (!skips.empty()) out += "\nSkipped:\n";
  for (const std::string& s : skips) out += "  " + s + "\n";
  bool header = false;
  for (const CaseResult& r : results) {
    if (r.skipped || r.failures.empty()) continue;
    if (!header) out += "\nFailures:\n";
    header = true;
    out += "FAILED " + CaseName(r) + "\n";
    out += "  replay: " + (r.replay_command.empty() ? "(none)" : r.replay_command) + "\n";
    if (!r.history_path.empty()) out += "  history: " + r.history_path + "\n";
    for (size_t i = 0; i < r.failures.size() && i < kViolationsShown; ++i) {
      out += "  - " + r.failures[i] + "\n";
    }
    if (r.failures.size() > kViolationsShown) {
      out += "  ... and " + std::to_string(r.failures.size() - kViolationsShown) + " more\n";
    }
  }
  return out;
}

}  // namespace protean::harness
