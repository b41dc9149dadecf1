// drain and readiness: graceful shutdown of each instance run.

#include <cstdio>
#include <cstdlib>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The place of a shutdown step in the required order, or -1 when unknown.
// 0 signal, 1 stop_fetching, 2 drain_done | drain_timeout, 3 flushed,
// 4 close:event_store, 5 close:broker:*, 6 close:cache:*, 7 close:database:*,
// 8 stopped.
int StepRank(const std::string& detail) {
  if (StartsWith(detail, "signal:")) return 0;
  if (detail == "stop_fetching") return 1;
  if (detail == "drain_done" || StartsWith(detail, "drain_timeout:") ||
      StartsWith(detail, "drain_cut:")) {
    return 2;
  }
  if (detail == "flushed") return 3;
  if (StartsWith(detail, "close:event_store")) return 4;
  if (StartsWith(detail, "close:broker:")) return 5;
  if (StartsWith(detail, "close:cache:")) return 6;
  if (StartsWith(detail, "close:database:")) return 7;
  if (detail == "stopped") return 8;
  return -1;
}

const char* kRankNames[] = {"signal",      "stop_fetching",     "drain_done/drain_timeout",
                            "flushed",     "close:event_store", "close:broker",
                            "close:cache", "close:database",    "stopped"};

// The order of the steps of one run, and that the drain ended in time.
void StepOrder(const HistoryIndex& ix, const Run& run, std::vector<std::string>* out) {
  const Ev& signal = ix.event(run.signal);
  const int64_t bound = signal.t + ix.drain_timeout_us();
  int last_rank = -1;
  const Ev* last = nullptr;
  std::vector<int> seen(9, 0);
  for (size_t i : ix.OfInstance(run.instance)) {
    const Ev& e = ix.event(i);
    if (!run.Contains(i) || e.kind != "shutdown_step") continue;
    const int rank = StepRank(e.detail);
    if (rank < 0) {
      out->push_back(ix.Where(e) + ": unknown shutdown step \"" + e.detail + "\"");
      continue;
    }
    ++seen[rank];
    if (rank < last_rank) {
      out->push_back(ix.Where(e) + ": shutdown step " + e.detail + " after " + last->detail +
                     " (order: signal, stop_fetching, drain, flushed, close event store, "
                     "brokers, caches, databases, stopped)");
    } else if (rank == last_rank && rank != 5 && rank != 6 && rank != 7) {
      out->push_back(ix.Where(e) + ": shutdown step " + e.detail + " repeated");
    }
    if (rank > last_rank) {
      last_rank = rank;
      last = &e;
    }
    if (rank == 2 && e.t > bound + ix.slack_us()) {
      out->push_back(ix.Where(e) + ": " + e.detail + " after the drain bound " + ix.Rel(bound));
    }
    if (rank == 2 && StartsWith(e.detail, "drain_timeout:") && e.t + ix.slack_us() < bound) {
      out->push_back(ix.Where(e) + ": drain cut off before its bound " + ix.Rel(bound));
    }
  }
  if (run.crashed != kNone) return;
  if (seen[2] == 0 && ix.end_us() > bound) {
    out->push_back(ix.Where(signal) + ": no drain_done or drain_timeout by the bound " +
                   ix.Rel(bound));
  }
  // Flushing and closing take little time after the drain: allow one more bound.
  const bool due = run.stopped != kNone || ix.end_us() > bound + ix.drain_timeout_us();
  for (int rank : {1, 2, 3, 8}) {
    if (due && seen[rank] == 0) {
      out->push_back(ix.Where(signal) + ": shutdown without step " + kRankNames[rank]);
    }
  }
}

// After a drain cut-off, a late completion is ignored and nothing it
// handled is acked.
void AfterCutOff(const HistoryIndex& ix, const Run& run, std::vector<std::string>* out) {
  size_t cut = kNone;
  for (size_t i : ix.OfInstance(run.instance)) {
    const Ev& e = ix.event(i);
    if (run.Contains(i) && e.kind == "shutdown_step" &&
        (StartsWith(e.detail, "drain_timeout:") || StartsWith(e.detail, "drain_cut:"))) {
      cut = i;
      break;
    }
  }
  if (cut == kNone) return;
  const std::string at = ix.Rel(ix.event(cut).t);
  for (size_t i : ix.OfInstance(run.instance)) {
    if (i <= cut || (run.end != kNone && i > run.end)) continue;
    const Ev& e = ix.event(i);
    if (e.kind == "attempt_finished") {
      out->push_back(ix.Where(e) + ": attempt finished (" + e.outcome +
                     ") after the drain cut-off at " + at + " (late completions are ignored)");
    }
    if (e.kind != "acked") continue;
    bool finished_before = false;
    for (size_t j : ix.OfPair(e.subscription, e.message_id)) {
      const Ev& f = ix.event(j);
      if (j < cut && run.Contains(j) && f.instance == run.instance &&
          ((f.kind == "attempt_finished" && f.outcome == "ok") || f.kind == "dropped")) {
        finished_before = true;
      }
    }
    if (!finished_before) {
      out->push_back(ix.Where(e) + ": acked after the drain cut-off at " + at +
                     " although unfinished at it");
    }
  }
}

// "flushed" means the broker and the event store have every ack and position
// the run sent: none may complete after it (adapters close next).
void NothingAfterFlush(const HistoryIndex& ix, const Run& run, std::vector<std::string>* out) {
  size_t flushed = kNone;
  for (size_t i : ix.OfInstance(run.instance)) {
    const Ev& e = ix.event(i);
    if (!run.Contains(i)) continue;
    if (flushed == kNone) {
      if (e.kind == "shutdown_step" && e.detail == "flushed") flushed = i;
      continue;
    }
    if (e.kind == "acked" || e.kind == "position_written") {
      out->push_back(ix.Where(e) + ": " + e.kind + " after the shutdown step flushed at " +
                     ix.Rel(ix.event(flushed).t) + " (the flush must wait for it)");
    }
  }
}

// A stopped engine reports nothing more: a late completion after a drain
// cut-off must have been abandoned, not handled.
void NothingAfterStop(const HistoryIndex& ix, const Run& run, std::vector<std::string>* out) {
  if (run.stopped == kNone) return;
  static const char* const kEngineKinds[] = {
      "delivered",       "attempt_started",  "attempt_finished", "acked",
      "retry_scheduled", "dlq_moved",        "dlq_move_failed",  "dropped",
      "claimed",         "position_written", "dlq_alert",        "dlq_checked",
      "dlq_trimmed",     "circuit_breaker",  "stream_trimmed",   "failure_recorded",
      "recovery_pass",   "recovery_resolved"};
  for (size_t i : ix.OfInstance(run.instance)) {
    if (i <= run.stopped) continue;
    const Ev& e = ix.event(i);
    if (e.kind == "engine_started") break;  // a later run
    for (const char* k : kEngineKinds) {
      if (e.kind == k) {
        out->push_back(ix.Where(e) + ": " + e.kind + " after the engine stopped at " +
                       ix.Rel(ix.event(run.stopped).t));
        break;
      }
    }
  }
}

// The run a probe belongs to: the last one started before it (a probe after
// `stopped` still reaches the stopped engine).
const Run* ProbedRun(const HistoryIndex& ix, const Ev& probe) {
  const Run* found = nullptr;
  for (const Run& r : ix.RunsOf(probe.instance)) {
    if (r.start < probe.index) found = &r;
  }
  return found;
}

// After the signal (draining, then stopped): readiness answers 503.
bool ShuttingDown(const Run& run, size_t i) { return run.signal != kNone && i > run.signal; }

bool Degraded(const HistoryIndex& ix, const std::string& instance, size_t i) {
  for (const FaultSpan& w : ix.faults()) {
    const bool fails_pings = w.kind == "broker_unavailable" ||
                             w.kind == "event_store_unavailable" || w.kind == "connection_reset";
    if (fails_pings && w.Covers(instance, i)) return true;
  }
  return false;
}

}  // namespace

int64_t ProbesUnavailableDuringDrain(const HistoryIndex& ix) {
  int64_t n = 0;
  for (size_t i : ix.OfKind("probe")) {
    const Ev& e = ix.event(i);
    const Run* run = ProbedRun(ix, e);
    if (run == nullptr || !ShuttingDown(*run, i) || run->crashed != kNone) continue;
    const bool in_drain = run->stopped == kNone || e.t <= ix.event(run->stopped).t;
    if (in_drain && e.value == 503 && e.outcome == "unavailable") ++n;
  }
  return n;
}

CheckResult Drain(const HistoryIndex& ix) {
  CheckResult r{"drain", {}, {}};
  for (const auto& [instance, runs] : ix.runs()) {
    for (const Run& run : runs) {
      if (run.signal == kNone) continue;
      StepOrder(ix, run, &r.violations);
      AfterCutOff(ix, run, &r.violations);
      NothingAfterFlush(ix, run, &r.violations);
      NothingAfterStop(ix, run, &r.violations);
    }
  }
  return r;
}

CheckResult Readiness(const HistoryIndex& ix) {
  CheckResult r{"readiness", {}, {}};
  for (const auto& [instance, runs] : ix.runs()) {
    for (const Run& run : runs) {
      if (run.signal == kNone) continue;
      const Ev& signal = ix.event(run.signal);
      bool draining = false;
      for (size_t i : ix.OfInstance(instance)) {
        const Ev& e = ix.event(i);
        draining =
            draining || (run.Contains(i) && e.kind == "readiness" && e.outcome == "draining" &&
                         std::llabs(e.t - signal.t) <= ix.slack_us());
      }
      if (!draining) {
        r.violations.push_back(ix.Where(signal) +
                               ": readiness did not turn draining at the signal");
      }
    }
  }
  for (size_t i : ix.OfKind("probe")) {
    const Ev& e = ix.event(i);
    const Run* run = ProbedRun(ix, e);
    if (run == nullptr || (run->crashed != kNone && i > run->crashed)) continue;
    const std::string got = std::to_string(e.value) + " \"" + e.outcome + "\"";
    // Against real services a probe answered just after the signal may come
    // from before the process took it (within the clock slack).
    const bool just_signalled = run->signal != kNone && ix.slack_us() > 0 &&
                                (run->stopped == kNone || i < run->stopped) &&
                                e.t - ix.event(run->signal).t <= ix.slack_us();
    const bool running_answer =
        (e.value == 200 && e.outcome == "ok") || (e.value == 503 && e.outcome == "degraded");
    if (ShuttingDown(*run, i) && !(just_signalled && running_answer)) {
      if (e.value != 503 || e.outcome != "unavailable") {
        r.violations.push_back(
            ix.Where(e) + ": readiness probe answered " + got +
            (run->stopped != kNone && i > run->stopped ? " after stopping" : " while draining") +
            "; expected 503 \"unavailable\"");
      }
      continue;
    }
    const bool ok = e.value == 200 && e.outcome == "ok";
    const bool degraded = e.value == 503 && e.outcome == "degraded";
    // And a probe answered just before the process logged the signal may
    // already carry the stopping answer: it took the signal, then wrote the
    // line (within the clock slack).
    const bool about_to_stop = run->signal != kNone && ix.slack_us() > 0 && i < run->signal &&
                               ix.event(run->signal).t - e.t <= ix.slack_us() && e.value == 503 &&
                               e.outcome == "unavailable";
    if (about_to_stop) continue;
    if (!ok && !(degraded && Degraded(ix, e.instance, i))) {
      r.violations.push_back(ix.Where(e) + ": readiness probe answered " + got +
                             " while running; expected 200 \"ok\"" +
                             (degraded ? " (no broker/event-store fault covers it)" : ""));
    }
  }
  return r;
}

}  // namespace protean::harness::internal
