// CaseTimelineJson (the data a case page draws) and CollectReportCases (the
// cases of a report from summaries and history folders).
//
// The timeline is columnar so that 100,000 events stay a few MB and load into
// typed arrays: "pt" (points) and "sp" (spans) are objects of equal-length
// arrays, strings are indices into "str" (0 is ""), messages indices into
// "ids". Read by harness/report_assets/timeline.js (loadTimeline).

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/checkers.h"
#include "harness/history.h"
#include "harness/html_report.h"

namespace protean::harness {
namespace {

using nlohmann::json;

// Strings of one timeline, each stored once.
class StringTable {
 public:
  StringTable() { Id(""); }
  int Id(const std::string& s) {
    auto [it, added] = ids_.emplace(s, static_cast<int>(strings_.size()));
    if (added) strings_.push_back(s);
    return it->second;
  }
  json Take() { return json(std::move(strings_)); }

 private:
  std::map<std::string, int> ids_;
  std::vector<std::string> strings_;
};

json Points(const std::vector<TimelinePoint>& points, StringTable& str) {
  json t = json::array(), l = json::array(), k = json::array(), m = json::array(),
       s = json::array(), a = json::array(), o = json::array(), d = json::array(),
       v = json::array(), i = json::array();
  for (const TimelinePoint& p : points) {
    t.push_back(p.t);
    l.push_back(p.lane);
    k.push_back(str.Id(p.kind));
    m.push_back(p.message);
    s.push_back(str.Id(p.subscription));
    a.push_back(p.attempt);
    o.push_back(str.Id(p.outcome));
    d.push_back(str.Id(p.detail));
    v.push_back(p.value);
    i.push_back(p.index);
  }
  return {{"t", t}, {"l", l}, {"k", k}, {"m", m}, {"s", s},
          {"a", a}, {"o", o}, {"d", d}, {"v", v}, {"i", i}};
}

json Spans(const std::vector<TimelineSpan>& spans, StringTable& str) {
  json c = json::array(), l = json::array(), f = json::array(), u = json::array(),
       m = json::array(), s = json::array(), a = json::array(), o = json::array(),
       d = json::array(), i = json::array(), j = json::array();
  for (const TimelineSpan& p : spans) {
    c.push_back(static_cast<int>(p.kind));
    l.push_back(p.lane);
    f.push_back(p.from);
    u.push_back(p.until);
    m.push_back(p.message);
    s.push_back(str.Id(p.subscription));
    a.push_back(p.attempt);
    o.push_back(str.Id(p.outcome));
    d.push_back(str.Id(p.detail));
    i.push_back(p.index);
    j.push_back(p.end_index == kNoEvent ? int64_t{-1} : static_cast<int64_t>(p.end_index));
  }
  return {{"c", c}, {"l", l}, {"f", f}, {"u", u}, {"m", m}, {"s", s},
          {"a", a}, {"o", o}, {"d", d}, {"i", i}, {"j", j}};
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

json Rows(const std::vector<MessageRow>& rows, StringTable& str) {
  json m = json::array(), st = json::array(), s = json::array(), state = json::array(),
       att = json::array(), ok = json::array(), pub = json::array(), fin = json::array(),
       inst = json::array(), by = json::array(), last = json::array(), faults = json::array(),
       flag = json::array();
  for (const MessageRow& r : rows) {
    m.push_back(r.message);
    st.push_back(str.Id(r.stream));
    s.push_back(str.Id(r.subscription));
    state.push_back(str.Id(r.state));
    att.push_back(r.attempts);
    ok.push_back(r.handlings);
    pub.push_back(r.published);
    fin.push_back(r.final);
    inst.push_back(str.Id(Joined(r.instances)));
    by.push_back(str.Id(Joined(r.handled_by)));
    last.push_back(r.last);
    faults.push_back(r.faults);
    flag.push_back(r.flagged ? 1 : 0);
  }
  return {{"m", m},       {"st", st},         {"s", s},      {"state", state}, {"att", att},
          {"ok", ok},     {"pub", pub},       {"fin", fin},  {"inst", inst},   {"by", by},
          {"last", last}, {"faults", faults}, {"flag", flag}};
}

}  // namespace

std::string CaseTimelineJson(const CaseTimeline& t) {
  StringTable str;
  json faults = json::array();
  for (const FaultShade& f : t.faults) {
    faults.push_back({{"kind", f.kind},
                      {"lane", f.lane},
                      {"from", f.from},
                      {"until", f.until},
                      {"open", f.open},
                      {"value", f.value},
                      {"i", f.index}});
  }
  json verdicts = json::array();
  for (const Verdict& v : t.verdicts) {
    verdicts.push_back({{"checker", v.checker},
                        {"text", v.text},
                        {"events", v.events},
                        {"msgs", v.messages},
                        {"faults", v.faults}});
  }
  json out = {{"lanes", t.lanes},
              {"t0", t.start_us},
              {"dur", t.duration_us},
              {"events", t.events},
              {"ids", t.message_ids}};
  out["pt"] = Points(t.points, str);
  out["sp"] = Spans(t.spans, str);
  out["rows"] = Rows(t.messages, str);
  out["faults"] = std::move(faults);
  out["verdicts"] = std::move(verdicts);
  out["passed"] = t.checkers_passed;
  out["str"] = str.Take();
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

namespace fs = std::filesystem;

std::optional<std::string> Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Existing(const std::vector<fs::path>& candidates) {
  std::error_code ec;
  for (const fs::path& p : candidates) {
    if (!p.empty() && fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

// A case for a history no summary names: what its header says, judged by
// the checkers.
std::optional<ReportCase> CaseOfHistory(const fs::path& path) {
  std::optional<std::string> text = Slurp(path);
  if (!text) return std::nullopt;
  Result<History> h = History::Parse(*text);
  if (!h.ok()) return std::nullopt;
  ReportCase c;
  CaseResult& r = c.result;
  const std::string id = h->header.value("scenario", path.stem().string());
  const size_t slash = id.find('/');
  r.suite = slash == std::string::npos ? "" : id.substr(0, slash);
  r.scenario = slash == std::string::npos ? id : id.substr(slash + 1);
  r.file = h->header.value("file", "");
  r.mode = h->header.value("mode", "memory");
  r.seed = h->header.value("seed", uint64_t{0});
  r.events = static_cast<int64_t>(h->events.size());
  if (h->events.size() > 1) {
    r.sim_seconds = static_cast<double>(h->events.back().value("t", int64_t{0}) -
                                        h->events.front().value("t", int64_t{0})) /
                    1e6;
  }
  for (const CheckResult& check : RunCheckers(*h)) {
    for (const std::string& v : check.violations) r.failures.push_back(check.checker + ": " + v);
  }
  r.replay_command = "protean-harness replay " + path.string();
  r.history_path = path.string();
  c.history_file = path.string();
  return c;
}

}  // namespace

Result<std::vector<ReportCase>> CollectReportCases(const std::vector<std::string>& summaries,
                                                   const std::vector<std::string>& history_dirs) {
  std::vector<ReportCase> out;
  std::set<std::string> claimed;
  std::error_code ec;
  for (const std::string& summary : summaries) {
    std::optional<std::string> text = Slurp(summary);
    if (!text) return Status::NotFound("cannot read " + summary);
    Result<std::vector<CaseResult>> results = ParseJsonSummary(*text);
    if (!results.ok()) return Status::InvalidArgument(summary + ": " + results.status().message());
    const fs::path beside = fs::path(summary).parent_path();
    for (CaseResult& r : *results) {
      ReportCase c;
      const std::string name = CaseFileStem(r) + ".jsonl";
      std::vector<fs::path> candidates;
      if (!r.history_path.empty()) {
        candidates = {r.history_path, beside / r.history_path,
                      beside / fs::path(r.history_path).filename()};
      }
      candidates.push_back(beside / name);
      candidates.push_back(beside / "histories" / name);
      for (const std::string& dir : history_dirs) candidates.push_back(fs::path(dir) / name);
      c.history_file = r.skipped ? "" : Existing(candidates);
      if (!c.history_file.empty()) claimed.insert(fs::weakly_canonical(c.history_file, ec));
      c.result = std::move(r);
      out.push_back(std::move(c));
    }
  }
  for (const std::string& dir : history_dirs) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      if (claimed.count(fs::weakly_canonical(f, ec)) > 0) continue;
      if (std::optional<ReportCase> c = CaseOfHistory(f)) out.push_back(std::move(*c));
    }
  }
  return out;
}

}  // namespace protean::harness
