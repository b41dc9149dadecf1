#include "harness/differential.h"

#include <algorithm>

#include "core/engine/scripted_handler.h"

namespace protean::harness {
namespace {

int64_t Number(const nlohmann::ordered_json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string ReasonClass(const std::string& reason) {
  return reason.rfind("undecodable", 0) == 0 ? "undecodable" : "exhausted";
}

std::string Describe(const MessageOutcome& o) {
  std::string s = o.state + ", " + std::to_string(o.attempts) + " attempt(s)";
  if (!o.dlq_reason.empty()) s += ", DLQ reason " + o.dlq_reason;
  return s;
}

std::string Joined(const std::set<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "none" : s;
}

}  // namespace

std::map<std::string, MessageOutcome> MessageOutcomes(const History& history) {
  std::map<std::string, MessageOutcome> out;
  for (const nlohmann::ordered_json& e : history.events) {
    const std::string event = EventText(e, "event");
    const std::string id = EventText(e, "message_id");
    const std::string handler = EventText(e, "subscription");
    if (id.empty() || handler.empty()) continue;
    const std::string key = handler + " " + std::string(DecisionKey(id));
    if (event == "attempt_started") {
      MessageOutcome& o = out[key];
      o.attempts = std::max(o.attempts, Number(e, "attempt"));
    } else if (event == "attempt_finished" && EventText(e, "outcome") == "ok") {
      MessageOutcome& o = out[key];
      if (o.state == "unfinished") o.state = "handled";
    } else if (event == "dlq_moved") {
      MessageOutcome& o = out[key];
      o.state = "dead_lettered";
      o.dlq_reason = ReasonClass(EventText(e, "detail"));
    } else if (event == "dropped") {
      out[key].state = "dropped";
    }
  }
  return out;
}

std::set<std::string> FailedCheckers(const CaseResult& result) {
  std::set<std::string> out;
  for (const std::string& f : result.failures) out.insert(f.substr(0, f.find(':')));
  return out;
}

std::vector<std::string> CompareOutcomes(const History& memory, const CaseResult& memory_result,
                                         const History& test, const CaseResult& test_result,
                                         const CompareOptions& options) {
  std::vector<std::string> lines;
  size_t more = 0;
  auto add = [&](std::string line) {
    if (lines.size() < options.lines_max) {
      lines.push_back(std::move(line));
    } else {
      ++more;
    }
  };
  const std::set<std::string> mc = FailedCheckers(memory_result);
  const std::set<std::string> tc = FailedCheckers(test_result);
  if (mc != tc) add("checkers failed: memory " + Joined(mc) + "; test " + Joined(tc));
  const auto m = MessageOutcomes(memory);
  const auto t = MessageOutcomes(test);
  const MessageOutcome none;
  for (auto mi = m.begin(), ti = t.begin(); mi != m.end() || ti != t.end();) {
    const bool take_m = ti == t.end() || (mi != m.end() && mi->first <= ti->first);
    const bool take_t = mi == m.end() || (ti != t.end() && ti->first <= mi->first);
    const std::string& key = take_m ? mi->first : ti->first;
    MessageOutcome a = take_m ? mi->second : none;
    MessageOutcome b = take_t ? ti->second : none;
    if (!options.attempts) a.attempts = b.attempts = 0;
    if (!(a == b)) add(key + ": memory " + Describe(a) + "; test " + Describe(b));
    if (take_m) ++mi;
    if (take_t) ++ti;
  }
  if (more > 0) lines.push_back("... " + std::to_string(more) + " more divergences");
  return lines;
}

}  // namespace protean::harness
