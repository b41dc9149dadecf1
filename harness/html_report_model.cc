// BuildCaseTimeline and DiffTimelines: what a case page of the HTML report
// draws, read from a history through the checkers' HistoryIndex so that the
// page and the checkers agree on every message, run and fault window.

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include "harness/checkers.h"
#include "harness/checkers_internal.h"
#include "harness/html_report.h"

namespace protean::harness {
namespace {

using internal::Ev;
using internal::HistoryIndex;
using internal::IsOk;

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Verdicts past this many keep their text only (a run that breaks a rule for
// every message would otherwise cost violations x events to point).
constexpr size_t kVerdictsDetailed = 500;

// Fault kinds that last `duration_ms` and end with a fault_ended.
bool Windowed(const std::string& kind) {
  constexpr std::string_view kKinds[] = {"broker_unavailable", "event_store_unavailable",
                                         "lost_ack",           "slow_replies",
                                         "handler_errors",     "handler_slow"};
  return std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
}

// Fills one CaseTimeline from a HistoryIndex. The steps run in this order:
// Lanes, EventsAndSpans, Faults, Verdicts (which marks the messages they
// name), Messages (whose states need those marks).
class Builder {
 public:
  Builder(const HistoryIndex& ix, CaseTimeline* out) : ix_(ix), out_(*out) {}

  void Lanes();
  void EventsAndSpans();
  void Faults();
  void Messages();
  void Verdicts(const std::vector<CheckResult>& checks);

 private:
  int64_t Rel(int64_t t) const { return t - ix_.start_us(); }
  int Lane(const std::string& instance) const;
  int Message(const std::string& id);
  void Point(const Ev& e);
  void OpenSpan(SpanKind kind, const Ev& e, int64_t until);
  void CloseSpan(size_t span, const Ev& e, int64_t until, const std::string& outcome);
  void CloseOpenAttempts(const Ev& e, const std::string& outcome);
  std::vector<size_t> FallbackEvents(const std::string& text) const;
  std::vector<int> FaultsOver(int64_t from, int64_t until, const std::set<int>& lanes) const;

  const HistoryIndex& ix_;
  CaseTimeline& out_;
  std::map<std::string, int> lane_of_;
  std::map<std::string, int> message_of_;
  // Open attempts by (instance, subscription, message, attempt); open down
  // and drain spans by instance.
  std::map<std::tuple<std::string, std::string, std::string, int64_t>, size_t> attempts_;
  std::map<std::string, size_t> down_;
  std::map<std::string, size_t> drain_;
  std::map<int, std::set<int>> message_lanes_;  // instance lanes each message went through
  std::set<int> flagged_;                       // messages a verdict names
  std::set<int> lost_;                          // messages the no_loss checker names
};

int Builder::Lane(const std::string& instance) const {
  if (instance.empty()) return 0;
  auto it = lane_of_.find(instance);
  return it != lane_of_.end() ? it->second : 0;
}

int Builder::Message(const std::string& id) {
  if (id.empty()) return -1;
  auto [it, added] = message_of_.emplace(id, static_cast<int>(out_.message_ids.size()));
  if (added) out_.message_ids.push_back(id);
  return it->second;
}

void Builder::Lanes() {
  out_.lanes = {"harness"};
  auto add = [this](const std::string& name) {
    if (name.empty() || lane_of_.count(name) > 0) return;
    lane_of_[name] = static_cast<int>(out_.lanes.size());
    out_.lanes.push_back(name);
  };
  auto instances = ix_.header().find("instances");
  if (instances != ix_.header().end() && instances->is_object()) {
    for (const auto& [name, value] : instances->items()) add(name);
  }
  for (const Ev& e : ix_.events()) add(e.instance);
}

void Builder::Point(const Ev& e) {
  TimelinePoint p;
  p.t = Rel(e.t);
  const bool harness = e.kind == "published" || StartsWith(e.kind, "fault_") ||
                       StartsWith(e.kind, "final_") || e.kind == "end";
  p.lane = harness ? 0 : Lane(e.instance);
  p.kind = e.kind;
  p.message = Message(e.message_id);
  p.subscription = e.subscription;
  p.attempt = e.attempt;
  p.outcome = e.outcome;
  p.detail = e.detail;
  p.value = e.value;
  p.index = e.index;
  if (p.message >= 0 && p.lane > 0) message_lanes_[p.message].insert(p.lane);
  out_.points.push_back(std::move(p));
}

void Builder::OpenSpan(SpanKind kind, const Ev& e, int64_t until) {
  TimelineSpan s;
  s.kind = kind;
  s.lane = Lane(e.instance);
  s.from = Rel(e.t);
  s.until = until;
  s.message = Message(e.message_id);
  s.subscription = e.subscription;
  s.attempt = e.attempt;
  s.detail = e.detail;
  s.index = e.index;
  if (s.message >= 0 && s.lane > 0) message_lanes_[s.message].insert(s.lane);
  out_.spans.push_back(std::move(s));
}

void Builder::CloseSpan(size_t span, const Ev& e, int64_t until, const std::string& outcome) {
  TimelineSpan& s = out_.spans[span];
  s.until = std::max(s.from, until);
  s.outcome = outcome;
  s.end_index = e.index;
}

void Builder::CloseOpenAttempts(const Ev& e, const std::string& outcome) {
  for (auto it = attempts_.begin(); it != attempts_.end();) {
    if (std::get<0>(it->first) != e.instance) {
      ++it;
      continue;
    }
    CloseSpan(it->second, e, Rel(e.t), outcome);
    it = attempts_.erase(it);
  }
}

void Builder::EventsAndSpans() {
  const int64_t end = Rel(ix_.end_us());
  for (const Ev& e : ix_.events()) {
    if (e.kind == "attempt_started") {
      attempts_[{e.instance, e.subscription, e.message_id, e.attempt}] = out_.spans.size();
      OpenSpan(SpanKind::kAttempt, e, end);
      out_.spans.back().outcome = "unfinished";
      continue;
    }
    if (e.kind == "attempt_finished") {
      auto it = attempts_.find({e.instance, e.subscription, e.message_id, e.attempt});
      if (it != attempts_.end()) {
        CloseSpan(it->second, e, Rel(e.t), e.outcome);
        out_.spans[it->second].detail = e.detail;
        attempts_.erase(it);
      } else {
        Point(e);  // a finish without a start: keep it visible
      }
      continue;
    }
    if (e.kind == "retry_scheduled") {
      OpenSpan(SpanKind::kRetryWait, e, std::max(Rel(e.t), Rel(e.due)));
      out_.spans.back().outcome = "waiting";
      continue;
    }
    if (e.kind == "end") continue;
    Point(e);
    if (e.kind == "crashed") {
      CloseOpenAttempts(e, "crashed");
      down_[e.instance] = out_.spans.size();
      OpenSpan(SpanKind::kDown, e, end);
      out_.spans.back().outcome = "down";
    } else if (e.kind == "engine_started") {
      auto it = down_.find(e.instance);
      if (it != down_.end()) {
        CloseSpan(it->second, e, Rel(e.t), "restarted");
        down_.erase(it);
      }
    } else if (e.kind == "shutdown_step") {
      if (StartsWith(e.detail, "signal:")) {
        drain_[e.instance] = out_.spans.size();
        OpenSpan(SpanKind::kDrain, e, end);
        out_.spans.back().outcome = "draining";
        continue;
      }
      const bool done = e.detail == "drain_done" || StartsWith(e.detail, "drain_timeout");
      auto it = drain_.find(e.instance);
      if ((done || e.detail == "stopped") && it != drain_.end()) {
        CloseSpan(it->second, e, Rel(e.t), done ? e.detail : "stopped");
        drain_.erase(it);
      }
      if (e.detail == "stopped") CloseOpenAttempts(e, "abandoned");
    }
  }
  std::stable_sort(out_.points.begin(), out_.points.end(),
                   [](const TimelinePoint& a, const TimelinePoint& b) { return a.t < b.t; });
  std::stable_sort(out_.spans.begin(), out_.spans.end(),
                   [](const TimelineSpan& a, const TimelineSpan& b) { return a.from < b.from; });
}

void Builder::Faults() {
  const int64_t end = Rel(ix_.end_us());
  for (const internal::FaultSpan& w : ix_.faults()) {
    const Ev& start = ix_.event(w.start);
    FaultShade f;
    f.kind = w.kind;
    f.lane = w.instance.empty() ? -1 : Lane(w.instance);
    f.from = Rel(start.t);
    f.value = start.value;
    f.index = w.start;
    if (w.end != internal::kNone) {
      f.until = Rel(ix_.event(w.end).t);
    } else if (w.kind == "consumer_crash") {
      f.until = end;
      f.open = true;
      for (const internal::Run& run : ix_.RunsOf(w.instance)) {
        if (run.start > w.start) {
          f.until = Rel(ix_.event(run.start).t);
          f.open = false;
          break;
        }
      }
    } else {
      f.open = Windowed(w.kind);
      f.until = f.open ? end : f.from;
    }
    out_.faults.push_back(std::move(f));
  }
}

std::vector<int> Builder::FaultsOver(int64_t from, int64_t until,
                                     const std::set<int>& lanes) const {
  std::vector<int> out;
  for (size_t k = 0; k < out_.faults.size(); ++k) {
    const FaultShade& f = out_.faults[k];
    const bool here = f.lane < 0 || lanes.empty() || lanes.count(f.lane) > 0;
    if (here && f.from <= until && f.until >= from) out.push_back(static_cast<int>(k));
  }
  return out;
}

std::vector<size_t> Builder::FallbackEvents(const std::string& text) const {
  // "t=+1.500s w0 Billing msg 3f2a1b2c: ..." (HistoryIndex::Where).
  if (!StartsWith(text, "t=")) return {};
  char* rest = nullptr;
  const double seconds = std::strtod(text.c_str() + 2, &rest);
  if (rest == text.c_str() + 2) return {};
  const int64_t at = static_cast<int64_t>(seconds * 1e6 + (seconds < 0 ? -0.5 : 0.5));
  const std::string head = text.substr(0, text.find(": "));
  std::string instance, sub, prefix;
  size_t pos = head.find(' ');
  while (pos != std::string::npos) {
    const size_t next = head.find(' ', pos + 1);
    const std::string word =
        head.substr(pos + 1, next == std::string::npos ? next : next - pos - 1);
    if (lane_of_.count(word) > 0) instance = word;
    if (ix_.subscription(word) != nullptr) sub = word;
    if (word == "msg" && next != std::string::npos) {
      const size_t after = head.find(' ', next + 1);
      prefix = head.substr(next + 1, after == std::string::npos ? after : after - next - 1);
    }
    pos = next;
  }
  std::vector<size_t> near, about_message;
  auto consider = [&](const Ev& e) {
    if (!instance.empty() && e.instance != instance) return;
    if (!sub.empty() && !e.subscription.empty() && e.subscription != sub) return;
    const bool mine = !prefix.empty() && StartsWith(e.message_id, prefix);
    if (!prefix.empty() && !mine) return;
    if (mine) about_message.push_back(e.index);
    if (std::llabs(Rel(e.t) - at) <= 500) near.push_back(e.index);
  };
  if (!instance.empty()) {
    for (size_t i : ix_.OfInstance(instance)) consider(ix_.event(i));
  } else {
    for (const Ev& e : ix_.events()) consider(e);
  }
  if (!near.empty() && near.size() <= 50) return near;
  return about_message;
}

void Builder::Verdicts(const std::vector<CheckResult>& checks) {
  for (const CheckResult& c : checks) {
    if (c.passed()) out_.checkers_passed.push_back(c.checker);
    for (size_t k = 0; k < c.violations.size(); ++k) {
      Verdict v;
      v.checker = c.checker;
      v.text = c.violations[k];
      if (out_.verdicts.size() >= kVerdictsDetailed) {
        out_.verdicts.push_back(std::move(v));
        continue;
      }
      v.events = k < c.events.size() && !c.events[k].empty() ? c.events[k] : FallbackEvents(v.text);
      int64_t from = 0, until = -1;
      std::set<int> messages;
      for (size_t i : v.events) {
        if (i >= ix_.events().size()) continue;
        const Ev& e = ix_.event(i);
        from = until < 0 ? Rel(e.t) : std::min(from, Rel(e.t));
        until = std::max(until, Rel(e.t));
        const int m = Message(e.message_id);
        if (m >= 0) messages.insert(m);
      }
      // The lanes its messages went through, or of the events themselves.
      std::set<int> lanes;
      for (size_t i : v.events) {
        if (i < ix_.events().size()) lanes.insert(Lane(ix_.event(i).instance));
      }
      for (int m : messages) {
        auto it = message_lanes_.find(m);
        if (it != message_lanes_.end()) lanes.insert(it->second.begin(), it->second.end());
      }
      lanes.erase(0);
      v.messages.assign(messages.begin(), messages.end());
      if (until >= 0) v.faults = FaultsOver(from, until, lanes);
      for (int m : v.messages) {
        flagged_.insert(m);
        if (c.checker == "no_loss") lost_.insert(m);
      }
      out_.verdicts.push_back(std::move(v));
    }
  }
}

void Builder::Messages() {
  const int64_t end = Rel(ix_.end_us());
  for (const internal::Published& p : ix_.published()) {
    for (const std::string& name : p.subscriptions) {
      const internal::SubInfo* sub = ix_.subscription(name);
      MessageRow row;
      row.message = Message(p.message_id);
      row.stream = p.stream;
      row.subscription = name;
      row.published = Rel(p.t);
      row.last = row.published;
      std::map<std::string, int64_t> oks;
      bool dlq = false, dropped = false, pending = false;
      std::set<int> lanes;
      for (size_t i : ix_.OfPair(name, p.message_id)) {
        const Ev& e = ix_.event(i);
        const bool final_event = IsOk(e) || e.kind == "dlq_moved" || e.kind == "dropped";
        if (final_event && row.final < 0) row.final = Rel(e.t);
        row.last = std::max(row.last, Rel(e.t));
        if (e.kind == "attempt_started") ++row.attempts;
        if (IsOk(e)) {
          ++oks[e.instance];
          row.handled_by.push_back(e.instance);
        }
        dlq = dlq || e.kind == "dlq_moved";
        dropped = dropped || e.kind == "dropped";
        pending = pending || e.kind == "final_pending";
        const bool took =
            e.kind == "delivered" || e.kind == "claimed" || e.kind == "attempt_started";
        if (took && std::find(row.instances.begin(), row.instances.end(), e.instance) ==
                        row.instances.end()) {
          row.instances.push_back(e.instance);
          lanes.insert(Lane(e.instance));
        }
      }
      for (const auto& [instance, n] : oks) {
        const bool per_instance = sub != nullptr && sub->event_store;
        row.handlings = per_instance ? std::max(row.handlings, n) : row.handlings + n;
      }
      const bool stream_sub = sub != nullptr && !sub->event_store;
      if (dlq || (row.handlings == 0 && !dropped && !pending && stream_sub &&
                  ix_.InFinalDlq(p.stream, p.message_id))) {
        row.state = "dead_lettered";
      } else if (row.handlings > 1) {
        row.state = "duplicated";
      } else if (row.handlings == 1) {
        row.state = "handled";
      } else if (dropped) {
        row.state = "dropped";
      } else if (pending) {
        row.state = "pending";
      } else {
        row.state = lost_.count(row.message) > 0 ? "lost" : "unread";
      }
      row.flagged = flagged_.count(row.message) > 0;
      row.faults = FaultsOver(row.published, row.final >= 0 ? row.last : end, lanes);
      out_.messages.push_back(std::move(row));
    }
  }
}

}  // namespace

CaseTimeline BuildCaseTimeline(const History& history, const std::vector<CheckResult>& checks) {
  const HistoryIndex ix(history);
  CaseTimeline out;
  out.start_us = ix.start_us();
  out.duration_us = ix.end_us() - ix.start_us();
  out.events = history.events.size();
  Builder b(ix, &out);
  b.Lanes();
  b.EventsAndSpans();
  b.Faults();
  b.Verdicts(checks);
  b.Messages();
  return out;
}

std::vector<MessageDiff> DiffTimelines(const CaseTimeline& a, const CaseTimeline& b, size_t limit) {
  auto by_subscription = [](const CaseTimeline& t) {
    std::map<std::string, std::vector<int>> rows;
    for (size_t i = 0; i < t.messages.size(); ++i) {
      rows[t.messages[i].subscription].push_back(static_cast<int>(i));
    }
    return rows;
  };
  std::map<std::string, std::vector<int>> ra = by_subscription(a), rb = by_subscription(b);
  std::set<std::string> subs;
  for (const auto& [name, rows] : ra) subs.insert(name);
  for (const auto& [name, rows] : rb) subs.insert(name);
  std::vector<MessageDiff> out;
  for (const std::string& name : subs) {
    const std::vector<int>& xa = ra[name];
    const std::vector<int>& xb = rb[name];
    for (size_t k = 0; k < std::max(xa.size(), xb.size()) && out.size() < limit; ++k) {
      const int ia = k < xa.size() ? xa[k] : -1;
      const int ib = k < xb.size() ? xb[k] : -1;
      if (ia >= 0 && ib >= 0) {
        const MessageRow& x = a.messages[ia];
        const MessageRow& y = b.messages[ib];
        if (x.state == y.state && x.attempts == y.attempts) continue;
      }
      out.push_back(MessageDiff{name, static_cast<int64_t>(k), ia, ib});
    }
  }
  return out;
}

}  // namespace protean::harness
