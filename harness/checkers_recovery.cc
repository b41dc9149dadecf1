// recovery: the event-store recovery pass, judged from the scenario's
// declared [server.event_store_subscription] (checkers_oracle.h), Protean's
// model (event_store_subscription.py:581-736, 981-1145):
//   - a failed message is recorded (failure_recorded, or dropped when
//     recorded Exhausted) before a stored position passes it;
//   - no retry in place: every later attempt runs in a recovery pass, at
//     least recovery_retry_delay_seconds after the pass began, and never more
//     than recovery_max_retries retries (attempt 1 + recovery_max_retries);
//   - passes of one instance run at least recovery_interval_seconds apart;
//   - nothing is attempted again once Exhausted (dropped);
//   - recovery_resolved follows a successful attempt;
//   - with enable_recovery = false there are no recovery events at all.

#include <cstdio>
#include <cstdlib>
#include <map>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

bool IsFailure(const Ev& e) {
  return e.kind == "attempt_finished" && (e.outcome == "failed" || e.outcome == "timeout");
}

std::string Secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3fs", s);
  return buf;
}

// The record before the stored position (py:690-724).
void RecordBeforePosition(const HistoryIndex& ix, const SubInfo& sub,
                          const std::vector<size_t>& pair, std::vector<std::string>* out) {
  for (size_t k = 0; k < pair.size(); ++k) {
    const Ev& fail = ix.event(pair[k]);
    if (!IsFailure(fail) || fail.attempt != 1) continue;  // a first read, not a pass retry
    const Run* run = ix.RunAt(fail.instance, fail.index);
    const int64_t position = std::atoll(fail.entry_id.c_str());
    size_t recorded = kNone;
    bool again = false;  // attempted again in this run (its record write failed)
    for (size_t m = k + 1; m < pair.size(); ++m) {
      const Ev& e = ix.event(pair[m]);
      if (e.instance != fail.instance || run == nullptr || !run->Contains(e.index)) continue;
      if (e.kind == "failure_recorded" || e.kind == "dropped") {
        recorded = e.index;
        break;
      }
      if (e.kind == "attempt_started") {
        again = true;
        break;
      }
    }
    for (size_t i : ix.OfKind("position_written")) {
      const Ev& w = ix.event(i);
      if (i <= fail.index || (recorded != kNone && i > recorded)) continue;
      if (w.instance != fail.instance || w.subscription != sub.name) continue;
      if (run == nullptr || !run->Contains(i) || w.value < position) continue;
      out->push_back(ix.Where(w) + ": position " + std::to_string(w.value) +
                     " stored past global position " + std::to_string(position) +
                     ", which failed at " + ix.Rel(fail.t) + ", before its failure was recorded");
      break;
    }
    if (recorded == kNone && !again && run != nullptr && run->alive_at_end()) {
      out->push_back(ix.Where(fail) + ": failed (enable_recovery) but never recorded");
    }
  }
}

// Retries only in passes, after the delay, at most recovery_max_retries, and
// none after Exhausted.
void RetriesInPasses(const HistoryIndex& ix, const SubInfo& sub, const std::vector<size_t>& pair,
                     std::vector<std::string>* out) {
  const int64_t delay_us = static_cast<int64_t>(sub.config.recovery_retry_delay_seconds * 1e6);
  const Ev* exhausted = nullptr;
  for (size_t i : pair) {
    const Ev& e = ix.event(i);
    if (e.kind == "dropped" && exhausted == nullptr) exhausted = &e;
    if (e.kind == "recovery_resolved") {
      bool ok = false;
      for (size_t j : pair) {
        const Ev& f = ix.event(j);
        if (j < i && f.instance == e.instance && f.kind == "attempt_finished" && f.outcome == "ok")
          ok = true;
      }
      if (!ok) out->push_back(ix.Where(e) + ": resolved without a successful attempt");
    }
    if (e.kind != "attempt_started") continue;
    if (exhausted != nullptr) {
      out->push_back(ix.Where(e) + ": attempted again after it was recorded Exhausted at " +
                     ix.Rel(exhausted->t));
    }
    if (e.attempt <= 1) continue;
    if (e.attempt > sub.attempts_max()) {
      out->push_back(ix.Where(e) + ": attempt " + std::to_string(e.attempt) + " with " +
                     "recovery max_retries " + std::to_string(sub.config.recovery_max_retries));
    }
    // The pass it belongs to: this instance's last recovery_pass before it.
    const Run* run = ix.RunAt(e.instance, e.index);
    const Ev* pass = nullptr;
    for (size_t j : ix.OfKind("recovery_pass")) {
      if (j >= e.index) break;
      const Ev& p = ix.event(j);
      if (p.instance == e.instance && p.subscription == sub.name && run && run->Contains(j))
        pass = &p;
    }
    if (pass == nullptr) {
      out->push_back(ix.Where(e) + ": attempt " + std::to_string(e.attempt) +
                     " outside a recovery pass (a retry in place)");
    } else if (e.t + ix.slack_us() < pass->t + delay_us) {
      out->push_back(ix.Where(e) + ": recovery retry " + Secs((e.t - pass->t) / 1e6) +
                     " after its pass began, declared retry_delay_seconds " +
                     Secs(sub.config.recovery_retry_delay_seconds));
    }
  }
}

// Passes of one run at least the interval apart (py:1140-1144).
void PassInterval(const HistoryIndex& ix, const SubInfo& sub, std::vector<std::string>* out) {
  const int64_t interval_us = static_cast<int64_t>(sub.config.recovery_interval_seconds * 1e6);
  std::map<std::pair<std::string, size_t>, const Ev*> last;  // (instance, run start) -> pass
  for (size_t i : ix.OfKind("recovery_pass")) {
    const Ev& p = ix.event(i);
    if (p.subscription != sub.name) continue;
    const Run* run = ix.RunAt(p.instance, i);
    const std::pair<std::string, size_t> key{p.instance, run != nullptr ? run->start : 0};
    auto it = last.find(key);
    if (it != last.end() && p.t + ix.slack_us() < it->second->t + interval_us) {
      out->push_back(ix.Where(p) + ": recovery pass " + Secs((p.t - it->second->t) / 1e6) +
                     " after the previous one, declared recovery_interval_seconds " +
                     Secs(sub.config.recovery_interval_seconds));
    }
    last[key] = &p;
  }
}

}  // namespace

CheckResult Recovery(const HistoryIndex& ix) {
  CheckResult r{"recovery", {}, {}};
  for (const auto& [name, sub] : ix.subscriptions()) {
    if (!sub.event_store) continue;
    if (!sub.config.enable_recovery) {
      for (const char* kind : {"failure_recorded", "recovery_pass", "recovery_resolved"}) {
        for (size_t i : ix.OfKind(kind)) {
          if (ix.event(i).subscription == name) {
            r.violations.push_back(ix.Where(ix.event(i)) + ": " + kind +
                                   " although enable_recovery = false");
          }
        }
      }
      continue;
    }
    for (size_t i : ix.OfKind("retry_scheduled")) {
      if (ix.event(i).subscription == name) {
        r.violations.push_back(ix.Where(ix.event(i)) +
                               ": retry scheduled in place although enable_recovery = true");
      }
    }
    PassInterval(ix, sub, &r.violations);
  }
  for (const auto& [key, pair] : ix.pairs()) {
    const SubInfo* sub = ix.subscription(key.first);
    if (sub == nullptr || !sub->config.recovers() || pair.empty()) continue;
    RecordBeforePosition(ix, *sub, pair, &r.violations);
    RetriesInPasses(ix, *sub, pair, &r.violations);
  }
  return r;
}

}  // namespace protean::harness::internal
