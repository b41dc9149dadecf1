// dlq_iff_exhausted and dlq_alerts.

#include <algorithm>
#include <cstdlib>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
bool IsFinish(const Ev& e) { return e.kind == "attempt_finished"; }
bool IsOk(const Ev& e) { return IsFinish(e) && e.outcome == "ok"; }
bool IsFailure(const Ev& e) {
  return IsFinish(e) && (e.outcome == "failed" || e.outcome == "timeout");
}

std::string Attempts(const SubInfo& sub) {
  return "max_retries " + std::to_string(sub.config.max_retries);
}

// What one stream (subscription, message) went through, in order.
struct StreamTrail {
  int64_t failures = 0;
  int64_t last_failed_attempt = 0;
  bool claimed = false;
  bool undecodable = false;
  bool ok = false;
  bool dlq = false;
  bool dropped = false;
  bool pending = false;
  std::map<std::string, const Ev*> last_finish;  // by instance
};

// Why a dlq_moved / dropped at `e` was not earned, or "" when it was.
std::string Unearned(const SubInfo& sub, const StreamTrail& s, const Ev& e) {
  const int64_t max = sub.attempts_max();
  if (e.kind == "dlq_moved" && (StartsWith(e.detail, "undecodable") || s.undecodable)) return "";
  if (StartsWith(e.detail, "attempts exhausted") || (e.kind == "dropped" && e.attempt > max)) {
    if (e.attempt >= max) return "";
    return "exhausted at attempt " + std::to_string(e.attempt) + " with " + Attempts(sub);
  }
  auto last = s.last_finish.find(e.instance);
  const bool last_failed =
      last != s.last_finish.end() && IsFailure(*last->second) && last->second->attempt == e.attempt;
  if (e.attempt == max && last_failed && (s.failures >= max || s.claimed)) return "";
  return "at attempt " + std::to_string(e.attempt) + " with " + Attempts(sub) + " after " +
         std::to_string(s.failures) + " failed attempt(s)";
}

void StreamPair(const HistoryIndex& ix, const SubInfo& sub, const std::vector<size_t>& pair,
                std::vector<std::string>* out) {
  StreamTrail s;
  const Ev* dlq_event = nullptr;
  for (size_t i : pair) {
    const Ev& e = ix.event(i);
    if (e.kind == "claimed") s.claimed = true;
    if (e.kind == "final_pending") s.pending = true;
    if (IsFinish(e)) {
      if (IsOk(e) && dlq_event != nullptr) {
        out->push_back(ix.Where(e) + ": handled successfully after it was dead-lettered at " +
                       ix.Rel(dlq_event->t));
      }
      s.ok = s.ok || IsOk(e);
      s.undecodable = s.undecodable || e.outcome == "undecodable";
      if (IsFailure(e)) {
        ++s.failures;
        s.last_failed_attempt = std::max(s.last_failed_attempt, e.attempt);
      }
      s.last_finish[e.instance] = &e;
    }
    if (e.kind == "dlq_moved" || e.kind == "dropped") {
      const bool dlq = e.kind == "dlq_moved";
      const bool undecodable = dlq && (StartsWith(e.detail, "undecodable") || s.undecodable);
      std::string why = Unearned(sub, s, e);
      if (!why.empty()) {
        out->push_back(ix.Where(e) + (dlq ? ": dead-lettered " : ": dropped ") + why);
      } else if (dlq && !undecodable && !sub.config.enable_dlq) {
        out->push_back(ix.Where(e) + ": dead-lettered although enable_dlq = false");
      } else if (!dlq && sub.config.enable_dlq) {
        out->push_back(ix.Where(e) + ": dropped although enable_dlq = true");
      }
      if (dlq && dlq_event == nullptr) dlq_event = &e;
      s.dlq = s.dlq || dlq;
      s.dropped = s.dropped || !dlq;
    }
  }
  const Ev& first = ix.event(pair.front());
  const bool in_dlq = s.dlq || s.pending || ix.InFinalDlq(sub.stream, first.message_id);
  const int64_t max = sub.attempts_max();
  const bool exhausted = s.failures >= max || s.last_failed_attempt >= max;
  const std::string where = ix.Where(ix.event(pair.back()).t, "", sub.name, first.message_id);
  if (s.undecodable && !in_dlq) {
    out->push_back(where + ": undecodable but neither dead-lettered nor pending at the end");
  } else if (exhausted && !s.ok && !s.undecodable) {
    const std::string ran_out =
        ": " + std::to_string(s.failures) + " failed attempt(s) with " + Attempts(sub);
    if (sub.config.enable_dlq && !in_dlq) {
      out->push_back(where + ran_out + " but neither dead-lettered nor pending at the end");
    } else if (!sub.config.enable_dlq && !s.dropped && !s.pending) {
      out->push_back(where + ran_out + " (enable_dlq = false) but neither dropped nor pending");
    }
  }
}

// Event store: no DLQ; after max_retries attempts the failure is recorded
// (`dropped`) by the instance that ran them, at once.
void EventStorePair(const HistoryIndex& ix, const SubInfo& sub, const std::vector<size_t>& pair,
                    std::vector<std::string>* out) {
  const int64_t max = sub.attempts_max();
  std::map<std::string, const Ev*> last_finish;
  std::map<std::string, const Ev*> owed;  // an exhausted attempt awaiting its `dropped`
  for (size_t i : pair) {
    const Ev& e = ix.event(i);
    if (e.kind == "dlq_moved") {
      out->push_back(ix.Where(e) + ": dead-lettered by an event-store subscription (no DLQ)");
    }
    if (IsFinish(e)) {
      last_finish[e.instance] = &e;
      const bool ran_out = e.outcome == "undecodable" || (IsFailure(e) && e.attempt >= max);
      if (ran_out) owed[e.instance] = &e;
    }
    if (e.kind != "dropped") continue;
    auto it = owed.find(e.instance);
    if (it == owed.end()) {
      auto last = last_finish.find(e.instance);
      const int64_t n = last != last_finish.end() ? last->second->attempt : 0;
      out->push_back(ix.Where(e) + ": failure recorded after attempt " + std::to_string(n) +
                     " with " + Attempts(sub));
    } else {
      owed.erase(it);
    }
  }
  for (const auto& [instance, e] : owed) {
    out->push_back(ix.Where(*e) + ": attempts ran out (attempt " + std::to_string(e->attempt) +
                   " with " + Attempts(sub) + ") but the failure was never recorded");
  }
}

}  // namespace

CheckResult DlqIffExhausted(const HistoryIndex& ix) {
  CheckResult r{"dlq_iff_exhausted", {}, {}};
  for (const auto& [key, pair] : ix.pairs()) {
    const SubInfo* sub = ix.subscription(key.first);
    if (sub == nullptr || pair.empty()) continue;
    if (sub->event_store) {
      EventStorePair(ix, *sub, pair, &r.violations);
    } else {
      StreamPair(ix, *sub, pair, &r.violations);
    }
  }
  return r;
}

CheckResult DlqAlerts(const HistoryIndex& ix) {
  CheckResult r{"dlq_alerts", {}, {}};
  // Per (instance, DLQ stream): each alert belongs to the check just before it
  // at the same time.
  struct Cycle {
    const Ev* check;
    std::vector<const Ev*> alerts;
  };
  std::map<std::pair<std::string, std::string>, std::vector<Cycle>> cycles;
  std::vector<size_t> order = ix.OfKind("dlq_checked");
  const std::vector<size_t>& alerts = ix.OfKind("dlq_alert");
  order.insert(order.end(), alerts.begin(), alerts.end());
  std::sort(order.begin(), order.end());
  for (size_t i : order) {
    const Ev& e = ix.event(i);
    std::vector<Cycle>& list = cycles[{e.instance, e.stream}];
    if (e.kind == "dlq_checked") {
      list.push_back(Cycle{&e, {}});
    } else if (!list.empty() && std::llabs(list.back().check->t - e.t) <= ix.slack_us()) {
      list.back().alerts.push_back(&e);
    } else {
      r.violations.push_back(ix.Where(e) + ": alert for " + e.stream +
                             " without a maintenance check at the same time");
    }
  }
  for (const auto& [key, list] : cycles) {
    for (const Cycle& c : list) {
      const Ev& check = *c.check;
      char* end = nullptr;
      const long long threshold = std::strtoll(check.detail.c_str(), &end, 10);
      if (check.detail.empty() || *end != '\0') {
        r.violations.push_back(ix.Where(check) + ": check of " + check.stream +
                               " without a numeric threshold (detail \"" + check.detail + "\")");
        continue;
      }
      const size_t want = check.value >= threshold ? 1 : 0;
      const std::string measured =
          "depth " + std::to_string(check.value) + ", threshold " + check.detail;
      if (c.alerts.size() != want) {
        r.violations.push_back(ix.Where(check) + ": " + std::to_string(c.alerts.size()) +
                               " alert(s) for " + check.stream + " in one cycle (" + measured +
                               "), expected " + std::to_string(want));
      }
      for (const Ev* a : c.alerts) {
        if (a->value != check.value || a->detail != check.detail) {
          r.violations.push_back(ix.Where(*a) + ": alert says depth " + std::to_string(a->value) +
                                 ", threshold " + a->detail + "; its check measured " + measured);
        }
      }
    }
  }
  const int64_t count = static_cast<int64_t>(alerts.size());
  ExpectCount(ix, "alerts", count, '=', &r.violations);
  ExpectCount(ix, "alerts_min", count, '>', &r.violations);
  ExpectCount(ix, "alerts_max", count, '<', &r.violations);
  return r;
}

}  // namespace protean::harness::internal
