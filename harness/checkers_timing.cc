// backoff and convergence: when retries and final states happen.

#include <algorithm>
#include <cstdio>

#include "core/engine/backoff.h"
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
    const int64_t lo = RetryDelayLowerBound(sub->config, e.attempt).count();
    const int64_t hi = RetryDelayUpperBound(sub->config, e.attempt).count();
    if (delay < lo || delay > hi) {
      r.violations.push_back(ix.Where(e) + ": retry after attempt " + std::to_string(e.attempt) +
                             " waits " + Seconds(delay) + ", configured [" + Seconds(lo) + ", " +
                             Seconds(hi) + "]");
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
