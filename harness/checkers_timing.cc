// backoff, retry_backlog and convergence: when retries and final states
// happen. Delays and caps are the oracle's (checkers_oracle.h), from the
// scenario's declared policy.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <tuple>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

std::string Seconds(int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3fs", static_cast<double>(us) / 1e6);
  return buf;
}

// The attempt a retry_scheduled leads to: the next attempt_started of the
// entry in the subscription. Stream: by the same instance unless a claim came
// first (then nullptr). Event store: by the same instance and run.
const Ev* NextAttempt(const HistoryIndex& ix, const SubInfo& sub, const Ev& retry) {
  const Run* run = ix.RunAt(retry.instance, retry.index);
  for (size_t i : ix.OfPair(retry.subscription, retry.message_id)) {
    if (i <= retry.index) continue;
    const Ev& e = ix.event(i);
    if (sub.event_store) {
      if (e.instance != retry.instance || run == nullptr || !run->Contains(i)) continue;
      if (e.kind == "attempt_started") return &e;
      continue;
    }
    if (e.kind == "claimed") return nullptr;
    if (e.kind == "attempt_started") return e.instance == retry.instance ? &e : nullptr;
  }
  return nullptr;
}

bool IsFinal(const Ev& e) {
  return (e.kind == "attempt_finished" && e.outcome == "ok") || e.kind == "dlq_moved" ||
         e.kind == "dropped";
}

// A declared jitter must show: delays spread around their un-jittered value
// (with 2+ retries, all exactly at it has a chance below 1e-9; with 40+, all
// on one side below 1e-11).
void JitterShows(const HistoryIndex& ix, CheckResult* r) {
  struct Seen {
    int64_t n = 0, at_center = 0, below = 0, above = 0;
  };
  std::map<std::string, Seen> by_sub;
  for (size_t i : ix.OfKind("retry_scheduled")) {
    const Ev& e = ix.event(i);
    const SubInfo* sub = ix.subscription(e.subscription);
    if (sub == nullptr || sub->config.jitter <= 0) continue;
    const DelayBounds b = ExpectedRetryDelay(sub->config, e.attempt);
    if (b.center_us - b.lo_us < 100) continue;  // too small a spread to tell
    Seen& s = by_sub[e.subscription];
    ++s.n;
    const int64_t delay = e.due - e.t;
    if (std::llabs(delay - b.center_us) <= 1) ++s.at_center;
    if (delay < b.center_us - 1) ++s.below;
    if (delay > b.center_us + 1) ++s.above;
  }
  for (const auto& [name, s] : by_sub) {
    const std::string what = name + ": retry_jitter " +
                             std::to_string(ix.subscription(name)->config.jitter) + " declared, ";
    if (s.n >= 2 && s.at_center == s.n) {
      r->violations.push_back(what + "but all " + std::to_string(s.n) +
                              " retries wait exactly their un-jittered delay");
    } else if (s.n >= 40 && (s.below == 0 || s.above == 0)) {
      r->violations.push_back(what + "but all " + std::to_string(s.n) + " retries wait " +
                              (s.below == 0 ? "longer" : "shorter") +
                              " than their un-jittered delay");
    }
  }
}

}  // namespace

CheckResult Backoff(const HistoryIndex& ix) {
  CheckResult r{"backoff", {}, {}};
  for (size_t i : ix.OfKind("retry_scheduled")) {
    const Ev& e = ix.event(i);
    const SubInfo* sub = ix.subscription(e.subscription);
    if (sub == nullptr) {
      r.violations.push_back(ix.Where(e) + ": retry for a subscription not in the header");
      continue;
    }
    const int64_t delay = e.due - e.t;
    const DelayBounds b = ExpectedRetryDelay(sub->config, e.attempt);
    if (delay < b.lo_us || delay > b.hi_us) {
      r.violations.push_back(ix.Where(e) + ": retry after attempt " + std::to_string(e.attempt) +
                             " waits " + Seconds(delay) + ", declared [" + Seconds(b.lo_us) + ", " +
                             Seconds(b.hi_us) + "]");
    }
    if (e.value != delay) {
      r.violations.push_back(ix.Where(e) + ": retry delay " + Seconds(e.value) +
                             " disagrees with due - t = " + Seconds(delay));
    }
    const Ev* next = NextAttempt(ix, *sub, e);
    if (next != nullptr && next->t + ix.slack_us() < e.due) {
      r.violations.push_back(ix.Where(*next) + ": attempt " + std::to_string(next->attempt) +
                             " started before its retry was due at " + ix.Rel(e.due));
    }
  }
  JitterShows(ix, &r);
  return r;
}

// Retries waiting in memory, per run of an instance and stream subscription:
// from retry_scheduled until due (or the run's end). Past the cap the
// subscription stops fetching, so it may exceed the cap only by what it had
// fetched already: the current batch, one batch ahead and the attempts
// running.
CheckResult RetryBacklog(const HistoryIndex& ix) {
  CheckResult r{"retry_backlog", {}, {}};
  // (instance, run start, subscription) -> (time, +1 / -1)
  std::map<std::tuple<std::string, size_t, std::string>, std::vector<std::pair<int64_t, int>>>
      waits;
  for (size_t i : ix.OfKind("retry_scheduled")) {
    const Ev& e = ix.event(i);
    const SubInfo* sub = ix.subscription(e.subscription);
    const Run* run = ix.RunAt(e.instance, i);
    if (sub == nullptr || sub->event_store || run == nullptr) continue;
    int64_t until = e.due;
    const size_t end = run->signal != kNone ? run->signal : run->end;
    if (end != kNone) until = std::min(until, ix.event(end).t);
    auto& w = waits[{e.instance, run->start, e.subscription}];
    w.emplace_back(e.t, +1);
    w.emplace_back(until, -1);
  }
  for (auto& [key, w] : waits) {
    const SubInfo& sub = *ix.subscription(std::get<2>(key));
    const int64_t cap = RetryBacklogCap(sub.config);
    const int64_t bound = cap + (2 + sub.config.concurrency) * sub.config.messages_per_tick;
    std::sort(w.begin(), w.end());  // ends (-1) before starts (+1) at one instant
    int64_t n = 0, peak = 0, peak_t = 0;
    for (const auto& [t, d] : w) {
      n += d;
      if (n > peak) {
        peak = n;
        peak_t = t;
      }
    }
    if (peak > bound) {
      r.violations.push_back(ix.Where(peak_t, std::get<0>(key), std::get<2>(key), "") + ": " +
                             std::to_string(peak) + " retries waiting at once; the backlog cap " +
                             std::to_string(cap) + " allows at most " + std::to_string(bound) +
                             " (cap + what was fetched before it was reached)");
    }
  }
  return r;
}

CheckResult Convergence(const HistoryIndex& ix) {
  CheckResult r{"convergence", {}, {}};
  const nlohmann::ordered_json& header = ix.header();
  auto phases = header.find("phases");
  if (phases == header.end() || !phases->is_object()) return r;
  auto heal = phases->find("heal_at_us");
  auto converge = phases->find("converge_within_us");
  if (heal == phases->end() || converge == phases->end() || !heal->is_number_integer() ||
      !converge->is_number_integer()) {
    r.violations.push_back("header phases need integer heal_at_us and converge_within_us");
    return r;
  }
  const int64_t heal_us = heal->get<int64_t>();
  const int64_t deadline = ix.start_us() + heal_us + converge->get<int64_t>();
  const std::string bound = ix.Rel(deadline) + " (heal " + ix.Rel(ix.start_us() + heal_us) +
                            " + converge_within " + Seconds(converge->get<int64_t>()) + ")";
  for (const Published& p : ix.published()) {
    if (p.t > deadline) continue;
    for (const std::string& name : p.subscriptions) {
      const SubInfo& sub = *ix.subscription(name);
      if (!ix.SubscriptionRan(name)) continue;
      int64_t final_t = -1;
      for (size_t i : ix.OfPair(name, p.message_id)) {
        if (IsFinal(ix.event(i))) {
          final_t = ix.event(i).t;
          break;
        }
      }
      if (final_t < 0 && !sub.event_store && ix.InFinalDlq(p.stream, p.message_id)) continue;
      if (final_t >= 0 && final_t <= deadline) continue;
      // Nobody left who could take it: it stays pending / unread, not stuck.
      const bool takers = sub.event_store ? ix.CoveredAtEnd(name) : !ix.AliveAtEnd(name).empty();
      if (!takers) continue;
      const std::string where = ix.Where(p.t, "", name, p.message_id);
      r.violations.push_back(final_t >= 0
                                 ? where + ": final only at " + ix.Rel(final_t) + ", after " + bound
                                 : where + ": not final by the end (" + ix.Rel(ix.end_us()) +
                                       "); due by " + bound);
    }
  }
  return r;
}

}  // namespace protean::harness::internal
