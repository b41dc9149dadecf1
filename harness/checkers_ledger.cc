// handler_calls: the engine's account of its attempts against the handler-call
// ledger (harness/handler_ledger.h), which the scripted handlers write
// themselves. Each reported attempt is one call; its outcome is the call's,
// or a timeout exactly when the call took longer than the declared
// handler_timeout_seconds; its end comes when the call (or the budget) says.

#include <algorithm>
#include <cstdlib>
#include <map>
#include <tuple>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

// (instance, run start, subscription, message, attempt)
using AttemptKey = std::tuple<std::string, size_t, std::string, std::string, int64_t>;

struct Calls {
  std::vector<const Ev*> calls;     // handler_call
  std::vector<const Ev*> started;   // attempt_started
  std::vector<const Ev*> finished;  // attempt_finished
};

// When the run stopped reporting attempts: its crash or drain cut-off (kNone
// when it never did).
int64_t CutAt(const HistoryIndex& ix, const Run& run) {
  if (run.crashed != kNone) return ix.event(run.crashed).t;
  for (size_t i : ix.OfInstance(run.instance)) {
    const Ev& e = ix.event(i);
    if (run.Contains(i) && e.kind == "shutdown_step" &&
        (e.detail.rfind("drain_timeout:", 0) == 0 || e.detail.rfind("drain_cut:", 0) == 0)) {
      return e.t;
    }
  }
  return -1;
}

std::string Us(int64_t us) { return std::to_string(us / 1000) + " ms"; }

void CheckOutcome(const HistoryIndex& ix, const SubInfo& sub, const Ev& call, const Ev& start,
                  const Ev* fin, std::vector<std::string>* out) {
  if (fin == nullptr) return;
  for (const auto& w : ix.faults()) {
    // The clock jumped while the attempt ran: its budget and length are moot.
    if (w.kind == "clock_jump" && w.start <= fin->index && w.start >= call.index) return;
  }
  const int64_t cost = call.value;
  const int64_t slack = ix.slack_us();
  std::optional<int64_t> budget;
  if (sub.config.handler_timeout_seconds) {
    budget = static_cast<int64_t>(*sub.config.handler_timeout_seconds * 1e6);
  }
  const bool over = budget && cost > *budget + slack;
  const bool unsure = budget && !over && cost > *budget - slack;
  const std::string want = over ? "timeout" : call.outcome;
  if (!unsure && fin->outcome != want) {
    out->push_back(ix.Where(*fin) + ": attempt " + std::to_string(fin->attempt) + " reported " +
                   fin->outcome + "; the handler " +
                   (over ? "took " + Us(cost) + ", past its declared budget of " + Us(*budget)
                         : "returned " + call.outcome + " after " + Us(cost) +
                               (budget ? " (budget " + Us(*budget) + ")" : "")));
    return;
  }
  if (unsure) return;
  const int64_t elapsed = fin->t - start.t;
  const int64_t expected = over ? *budget : cost;
  if (std::llabs(elapsed - expected) > slack + 1) {
    out->push_back(ix.Where(*fin) + ": attempt " + std::to_string(fin->attempt) + " ended " +
                   Us(elapsed) + " after it started; the handler " +
                   (over ? "was due to time out after " : "took ") + Us(expected));
  }
}

}  // namespace

CheckResult HandlerCalls(const HistoryIndex& ix) {
  CheckResult r{"handler_calls", {}, {}};
  if (ix.OfKind("handler_call").empty() && !ix.declared()) return r;  // no ledger recorded
  std::map<AttemptKey, Calls> by_attempt;
  for (const std::string kind : {"handler_call", "attempt_started", "attempt_finished"}) {
    for (size_t i : ix.OfKind(kind)) {
      const Ev& e = ix.event(i);
      const Run* run = ix.RunAt(e.instance, i);
      if (run == nullptr || ix.subscription(e.subscription) == nullptr) continue;
      Calls& c = by_attempt[{e.instance, run->start, e.subscription, e.message_id, e.attempt}];
      std::vector<const Ev*>& list = kind == "handler_call"      ? c.calls
                                     : kind == "attempt_started" ? c.started
                                                                 : c.finished;
      list.push_back(&e);
    }
  }
  std::map<std::pair<std::string, size_t>, int64_t> cuts;  // per run: CutAt reads all its events
  for (const auto& [key, c] : by_attempt) {
    const auto& [instance, run_start, sub_name, message, attempt] = key;
    const SubInfo& sub = *ix.subscription(sub_name);
    auto cut_at = cuts.find({instance, run_start});
    if (cut_at == cuts.end()) {
      cut_at =
          cuts.emplace(std::pair{instance, run_start}, CutAt(ix, *ix.RunAt(instance, run_start)))
              .first;
    }
    const int64_t cut = cut_at->second;
    const std::string what = ix.Where(!c.calls.empty()     ? c.calls.front()->t
                                      : !c.started.empty() ? c.started.front()->t
                                                           : c.finished.front()->t,
                                      instance, sub_name, message) +
                             ": attempt " + std::to_string(attempt);
    // Calls the engine never reported are allowed only when it stopped
    // listening before they ended (a crash, a drain cut-off). The engine
    // hears of a call when its result reaches the loop: against real
    // services that is up to the clock slack after the call's declared end.
    size_t unreported = 0;
    for (size_t k = c.started.size(); k < c.calls.size(); ++k) {
      const Ev& call = *c.calls[k];
      if (cut < 0 || call.t + call.value + ix.slack_us() < cut) ++unreported;
    }
    if (c.calls.size() > c.started.size() && unreported > 0) {
      r.violations.push_back(what + ": the handler was called " + std::to_string(c.calls.size()) +
                             " time(s), the engine reported " + std::to_string(c.started.size()) +
                             " attempt(s)");
      continue;
    }
    if (c.calls.size() < c.started.size()) {
      if (cut < 0) {
        r.violations.push_back(what + ": reported " + std::to_string(c.started.size()) +
                               " time(s), the handler was called " +
                               std::to_string(c.calls.size()) + " time(s)");
      }
      continue;
    }
    for (size_t k = 0; k < c.started.size() && k < c.calls.size(); ++k) {
      const Ev* fin = k < c.finished.size() ? c.finished[k] : nullptr;
      CheckOutcome(ix, sub, *c.calls[k], *c.started[k], fin, &r.violations);
    }
  }
  return r;
}

}  // namespace protean::harness::internal
