// dlq_iff_exhausted and dlq_alerts.

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
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
    // A claimed entry whose attempts ran out: dead-lettered with exactly the
    // declared number of attempts (a drop reports the delivery count).
    if (e.kind == "dlq_moved" ? e.attempt == max : e.attempt >= max) return "";
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
  const bool in_dlq =
      s.dlq || s.pending || ix.InFinalDlq(sub.stream, first.message_id) ||
      (!sub.backfill_stream.empty() && ix.InFinalDlq(sub.backfill_stream, first.message_id));
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

// --- DLQ alerts, judged per DLQ stream from the declared policy ----------------

// One DLQ stream as the scenario declares it: the lowest threshold and the
// longest retention of the handlers that share it.
struct DlqTarget {
  int64_t threshold = 0;
  int64_t retention_us = 0;
};

std::map<std::string, DlqTarget> DeclaredTargets(const HistoryIndex& ix) {
  const DlqPolicy& dlq = ix.dlq_policy();
  std::map<std::string, DlqTarget> out;
  for (const auto& [name, sub] : ix.subscriptions()) {
    if (sub.event_store) continue;
    const int64_t threshold = sub.config.dlq_alert_threshold.value_or(dlq.alert_threshold);
    const double hours = sub.config.dlq_retention_hours.value_or(dlq.retention_hours);
    const int64_t retention = static_cast<int64_t>(hours * 3600e6);
    // With priority lanes the backfill lane's DLQ is maintained too.
    for (const std::string* stream : {&sub.stream, &sub.backfill_stream}) {
      if (stream->empty()) continue;
      auto [it, fresh] = out.emplace(*stream + ":dlq", DlqTarget{threshold, retention});
      if (!fresh) {
        it->second.threshold = std::min(it->second.threshold, threshold);
        it->second.retention_us = std::max(it->second.retention_us, retention);
      }
    }
  }
  return out;
}

// A move into a DLQ: it happened in the broker between `lo` (the pair's
// previous event) and `hi` (its dlq_moved event).
struct Move {
  int64_t lo = 0;
  int64_t hi = 0;
};

std::map<std::string, std::vector<Move>> MovesByDlq(const HistoryIndex& ix) {
  std::map<std::string, std::vector<Move>> out;
  for (size_t i : ix.OfKind("dlq_moved")) {
    const Ev& e = ix.event(i);
    int64_t lo = e.t;
    for (size_t j : ix.OfPair(e.subscription, e.message_id)) {
      if (j < i) lo = ix.event(j).t;
    }
    out[e.stream + ":dlq"].push_back(Move{lo, e.t});
  }
  return out;
}

// The depth a check measuring at some moment in [from, to] can see: moves
// done before `from` and not trimmed at `to` surely count; moves possibly
// done by `to` and not surely trimmed at `from` may. A check trims before it
// measures, by the id's millisecond (XTRIM MINID): entries older than
// now - retention go.
std::pair<int64_t, int64_t> DepthRange(const std::vector<Move>& moves, const DlqTarget& t,
                                       int64_t from, int64_t to) {
  const int64_t cut_from_ms = (from - t.retention_us) / 1000;
  const int64_t cut_to_ms = (to - t.retention_us) / 1000;
  int64_t lo = 0, hi = 0;
  for (const Move& m : moves) {
    if (m.hi < from && m.lo / 1000 >= cut_to_ms) ++lo;
    if (m.lo <= to && m.hi / 1000 >= cut_from_ms) ++hi;
  }
  return {lo, hi};
}

bool BrokerFaultNear(const HistoryIndex& ix, const std::string& instance, int64_t from,
                     int64_t to) {
  for (const auto& w : ix.faults()) {
    if (w.kind == "clock_jump" || w.kind == "handler_errors" || w.kind == "handler_slow" ||
        w.kind == "consumer_crash" || w.kind == "sigterm" || w.kind == "add_worker" ||
        w.kind == "remove_worker") {
      continue;
    }
    if (!w.instance.empty() && w.instance != instance) continue;
    const int64_t start = ix.event(w.start).t;
    const int64_t end = w.end == kNone ? ix.end_us() : ix.event(w.end).t;
    if (start <= to && end >= from) return true;
  }
  return false;
}

// Per run of an instance: its maintenance cycles come every
// check_interval_seconds from its start while it runs (in the simulation
// exactly, unless a broker fault delays one); each cycle alerts once per DLQ
// stream whose depth is at or above the stream's threshold, never more.
void AlertsOfRun(const HistoryIndex& ix, const Run& run,
                 const std::map<std::string, DlqTarget>& targets,
                 const std::map<std::string, std::vector<Move>>& moves,
                 std::vector<std::string>* out) {
  const DlqPolicy& dlq = ix.dlq_policy();
  const int64_t every = static_cast<int64_t>(dlq.check_interval_seconds * 1e6);
  const int64_t start = ix.event(run.start).t;
  size_t stop_index = run.signal != kNone ? run.signal : run.end;
  const int64_t stop = stop_index != kNone ? ix.event(stop_index).t : ix.end_us();
  std::map<std::string, std::vector<const Ev*>> alerts;  // by DLQ stream
  for (size_t i : ix.OfInstance(run.instance)) {
    if (run.Contains(i) && ix.event(i).kind == "dlq_alert") {
      alerts[ix.event(i).stream].push_back(&ix.event(i));
    }
  }
  const bool exact = ix.slack_us() == 0;
  static const std::vector<Move> kNoMoves;
  for (const auto& [stream, target] : targets) {
    auto mv = moves.find(stream);
    const std::vector<Move>& ms = mv != moves.end() ? mv->second : kNoMoves;
    std::vector<const Ev*>& got = alerts[stream];
    const std::string thr = std::to_string(target.threshold);
    for (const Ev* a : got) {
      if (a->detail != thr) {
        out->push_back(ix.Where(*a) + ": alert for " + stream + " with threshold " + a->detail +
                       "; declared " + thr + " (the lowest of the handlers sharing it)");
      }
      const auto [lo, hi] = DepthRange(ms, target, a->t - std::max(ix.slack_us(), every), a->t);
      if (a->value < target.threshold || a->value > hi) {
        out->push_back(ix.Where(*a) + ": alert for " + stream + " says depth " +
                       std::to_string(a->value) + "; the history's moves allow " +
                       std::to_string(lo) + ".." + std::to_string(hi) + ", threshold " + thr);
      }
    }
    for (size_t k = 1; k < got.size(); ++k) {
      if (got[k]->t - got[k - 1]->t + ix.slack_us() + 1 < every) {
        out->push_back(ix.Where(*got[k]) + ": a second alert for " + stream + " " +
                       std::to_string(got[k]->t - got[k - 1]->t) +
                       " us after the previous one; one per cycle of " + std::to_string(every) +
                       " us");
      }
    }
    if (!exact || every <= 0) continue;
    // The simulation: every cycle's alerts, cycle by cycle.
    std::vector<bool> matched(got.size(), false);
    for (int64_t k = 1; start + k * every <= stop && k < 1000000; ++k) {
      const int64_t c = start + k * every;
      if (BrokerFaultNear(ix, run.instance, start, c)) break;  // cycles may drift from here
      int n = 0;
      for (size_t j = 0; j < got.size(); ++j) {
        if (std::llabs(got[j]->t - c) <= k + 1) {
          matched[j] = true;
          ++n;
        }
      }
      const auto [lo, hi] = DepthRange(ms, target, c, c);
      const bool at_edge = c == stop;  // the cycle and the stop at one instant
      const int want_min = (lo >= target.threshold && !at_edge) ? 1 : 0;
      const int want_max = hi >= target.threshold ? 1 : 0;
      if (n < want_min || n > want_max) {
        out->push_back(
            ix.Where(c, run.instance, "", "") + ": " + std::to_string(n) + " alert(s) for " +
            stream + " in the maintenance cycle at " + ix.Rel(c) + " (depth " + std::to_string(lo) +
            (hi != lo ? ".." + std::to_string(hi) : "") + ", threshold " + thr + "), expected " +
            (want_min == want_max ? std::to_string(want_min) : "0 or 1"));
      }
    }
    for (size_t j = 0; j < got.size(); ++j) {
      if (!matched[j] && !BrokerFaultNear(ix, run.instance, start, got[j]->t)) {
        out->push_back(ix.Where(*got[j]) + ": alert for " + stream +
                       " outside the maintenance cycles (every " + std::to_string(every) +
                       " us from " + ix.Rel(start) + ")");
      }
    }
  }
  for (const auto& [stream, list] : alerts) {
    if (targets.count(stream) == 0 && !list.empty()) {
      out->push_back(ix.Where(*list.front()) + ": alert for " + stream +
                     ", which no declared stream handler dead-letters into");
    }
  }
}

void AlertsPerDlqStream(const HistoryIndex& ix, std::vector<std::string>* out) {
  if (!ix.dlq_policy().enabled) {
    for (size_t i : ix.OfKind("dlq_alert")) {
      out->push_back(ix.Where(ix.event(i)) + ": alert for " + ix.event(i).stream +
                     " although [server.dlq] enabled is not true");
    }
    return;
  }
  const std::map<std::string, DlqTarget> targets = DeclaredTargets(ix);
  const std::map<std::string, std::vector<Move>> moves = MovesByDlq(ix);
  for (const auto& [instance, runs] : ix.runs()) {
    for (const Run& run : runs) AlertsOfRun(ix, run, targets, moves, out);
  }
}

}  // namespace

CheckResult DlqIffExhausted(const HistoryIndex& ix) {
  CheckResult r{"dlq_iff_exhausted", {}, {}};
  // What the DLQ itself holds at the end: an exhausted entry records exactly
  // the declared number of attempts.
  for (size_t i : ix.OfKind("final_dlq")) {
    const Ev& e = ix.event(i);
    const SubInfo* sub = ix.subscription(e.subscription);
    if (sub == nullptr || e.attempt == 0 || StartsWith(e.detail, "undecodable")) continue;
    if (e.attempt != sub->attempts_max()) {
      r.violations.push_back(ix.Where(e) + ": the DLQ entry records " + std::to_string(e.attempt) +
                             " attempts (\"" + e.detail + "\") with " + Attempts(*sub));
    }
  }
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
  AlertsPerDlqStream(ix, &r.violations);
  const int64_t count = static_cast<int64_t>(ix.OfKind("dlq_alert").size());
  ExpectCount(ix, "alerts", count, '=', &r.violations);
  ExpectCount(ix, "alerts_min", count, '>', &r.violations);
  ExpectCount(ix, "alerts_max", count, '<', &r.violations);
  return r;
}

}  // namespace protean::harness::internal
