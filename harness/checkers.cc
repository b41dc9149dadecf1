// RunCheckers, the public Check* entry points and the expectations checker.
// The checkers live in checkers_{delivery,scaling,dlq,timing,shutdown}.cc
// over one HistoryIndex (checkers_internal.h). [expect] keys that belong to a
// rule (duplicates_*, alerts*, spread_min_fraction) are enforced by that
// rule's checker; CheckExpectations compares them as well, RunCheckers only
// once.

#include "harness/checkers.h"

#include <cmath>
#include <functional>

#include "harness/checkers_internal.h"

namespace protean::harness {
namespace internal {
namespace {

// Distinct (subscription, message) pairs with at least one event matching.
int64_t PairsWith(const HistoryIndex& ix, const std::function<bool(const Ev&)>& match) {
  int64_t n = 0;
  for (const auto& [key, pair] : ix.pairs()) {
    for (size_t i : pair) {
      if (match(ix.event(i))) {
        ++n;
        break;
      }
    }
  }
  return n;
}

int64_t Count(const HistoryIndex& ix, std::string_view kind) {
  return static_cast<int64_t>(ix.OfKind(kind).size());
}

// Shutdown steps whose detail starts with `prefix`.
int64_t ShutdownSteps(const HistoryIndex& ix, const char* prefix) {
  int64_t n = 0;
  for (size_t i : ix.OfKind("shutdown_step")) {
    n += ix.event(i).detail.rfind(prefix, 0) == 0 ? 1 : 0;
  }
  return n;
}

int64_t Transitions(const HistoryIndex& ix, std::string_view outcome) {
  int64_t n = 0;
  for (size_t i : ix.OfKind("circuit_breaker")) n += ix.event(i).outcome == outcome ? 1 : 0;
  return n;
}

int64_t DrainTimeouts(const HistoryIndex& ix) { return ShutdownSteps(ix, "drain_timeout"); }
int64_t DrainCuts(const HistoryIndex& ix) { return ShutdownSteps(ix, "drain_cut:"); }

// The README's [expect] keys: how each is measured and compared. '=' exact,
// '<' at most, '>' at least; `owned` keys are also enforced by a checker
// (duplicates, dlq_alerts, scaling).
struct Key {
  const char* name;
  char relation;
  bool owned;
  const char* what;
  int64_t (*measure)(const HistoryIndex&);
};

const Key kKeys[] = {
    {"handled", '=', false, "(handler, message) pairs handled successfully",
     [](const HistoryIndex& ix) { return PairsWith(ix, IsOk); }},
    {"dead_lettered", '=', false, "(handler, message) pairs moved to the DLQ",
     [](const HistoryIndex& ix) {
       return PairsWith(ix, [](const Ev& e) { return e.kind == "dlq_moved"; });
     }},
    {"dropped", '=', false, "(handler, message) pairs dropped",
     [](const HistoryIndex& ix) {
       return PairsWith(ix, [](const Ev& e) { return e.kind == "dropped"; });
     }},
    {"pending_at_end", '=', false, "entries pending at the end",
     [](const HistoryIndex& ix) { return Count(ix, "final_pending"); }},
    {"duplicates_max", '<', true, "extra successful handlings",
     [](const HistoryIndex& ix) { return AnalyzeDuplicates(ix).extras; }},
    {"duplicates_min", '>', true, "extra successful handlings",
     [](const HistoryIndex& ix) { return AnalyzeDuplicates(ix).extras; }},
    {"retries", '=', false, "retries scheduled",
     [](const HistoryIndex& ix) { return Count(ix, "retry_scheduled"); }},
    {"claimed_min", '>', false, "claims",
     [](const HistoryIndex& ix) { return Count(ix, "claimed"); }},
    {"claimed_max", '<', false, "claims",
     [](const HistoryIndex& ix) { return Count(ix, "claimed"); }},
    {"alerts", '=', true, "DLQ alerts",
     [](const HistoryIndex& ix) { return Count(ix, "dlq_alert"); }},
    {"alerts_min", '>', true, "DLQ alerts",
     [](const HistoryIndex& ix) { return Count(ix, "dlq_alert"); }},
    {"alerts_max", '<', true, "DLQ alerts",
     [](const HistoryIndex& ix) { return Count(ix, "dlq_alert"); }},
    {"drain_timeouts", '=', false, "drains cut off by drain_timeout", DrainTimeouts},
    {"drain_cuts", '=', false, "drains cut short by a second signal", DrainCuts},
    {"probes_unavailable_min", '>', false, "probes answered 503 \"unavailable\" while draining",
     ProbesUnavailableDuringDrain},
    {"spread_min_fraction", '>', true, "", nullptr},
    {"position_writes_min", '>', false, "event-store positions written",
     [](const HistoryIndex& ix) { return Count(ix, "position_written"); }},
    {"circuit_opened", '=', false, "circuit breaker openings",
     [](const HistoryIndex& ix) { return Transitions(ix, "opened"); }},
    {"circuit_opened_min", '>', false, "circuit breaker openings",
     [](const HistoryIndex& ix) { return Transitions(ix, "opened"); }},
    {"circuit_closed", '=', false, "circuit breaker closings",
     [](const HistoryIndex& ix) { return Transitions(ix, "closed"); }},
    {"circuit_closed_min", '>', false, "circuit breaker closings",
     [](const HistoryIndex& ix) { return Transitions(ix, "closed"); }},
    {"stream_trims_min", '>', false, "retention trims that removed entries",
     [](const HistoryIndex& ix) { return Count(ix, "stream_trimmed"); }},
    {"concurrent_min", '>', false, "handler calls of one subscription at once on one instance",
     MostConcurrentCalls},
    {"groups_recreated_min", '>', false, "lost consumer groups recreated (and logged)",
     [](const HistoryIndex& ix) {
       int64_t n = 0;
       for (size_t i : ix.OfKind("error")) n += ix.event(i).outcome == "group_recreated" ? 1 : 0;
       return n;
     }},
    {"recovered", '=', false, "failed event-store positions resolved by the recovery pass",
     [](const HistoryIndex& ix) { return Count(ix, "recovery_resolved"); }},
    {"failures_recorded_min", '>', false, "Failed records written (event-store recovery)",
     [](const HistoryIndex& ix) { return Count(ix, "failure_recorded"); }},
};

const Key* FindKey(const std::string& name) {
  for (const Key& k : kKeys) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

std::string Number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return nlohmann::json(v).dump();
}

}  // namespace

std::optional<double> ExpectNumber(const HistoryIndex& ix, const std::string& key, bool integer,
                                   std::vector<std::string>* violations) {
  auto it = ix.expect().find(key);
  if (it == ix.expect().end()) return std::nullopt;
  const bool number = it->is_number() && !it->is_boolean();
  const double v = number ? it->get<double>() : -1;
  if (!number || v < 0 || (integer && v != std::floor(v))) {
    violations->push_back("expect." + key + ": expected a non-negative " +
                          (integer ? "integer" : "number") + ", got " + it->dump());
    return std::nullopt;
  }
  return v;
}

void ExpectCount(const HistoryIndex& ix, const std::string& key, int64_t got, char relation,
                 std::vector<std::string>* violations) {
  std::optional<double> want = ExpectNumber(ix, key, true, violations);
  if (!want) return;
  const double g = static_cast<double>(got);
  const bool met = relation == '=' ? g == *want : relation == '<' ? g <= *want : g >= *want;
  if (met) return;
  const Key* k = FindKey(key);
  violations->push_back("expect." + key + " = " + Number(*want) + ", got " + std::to_string(got) +
                        (k != nullptr && *k->what ? std::string(" (") + k->what + ")" : ""));
}

// One [[expect.outcomes]] entry: the pairs of its handler (and type) that
// were handled, dead-lettered, dropped.
void ExpectOutcome(const HistoryIndex& ix, const nlohmann::ordered_json& want,
                   std::vector<std::string>* violations) {
  const std::string handler = want.value("handler", "");
  const std::string type = want.value("type", "");
  const std::pair<const char*, std::function<bool(const Ev&)>> kinds[] = {
      {"handled", IsOk},
      {"dead_lettered", [](const Ev& e) { return e.kind == "dlq_moved"; }},
      {"dropped", [](const Ev& e) { return e.kind == "dropped"; }}};
  for (const auto& [key, match] : kinds) {
    if (!want.contains(key)) continue;
    int64_t got = 0;
    for (const auto& [pair, events] : ix.pairs()) {
      if (pair.first != handler) continue;
      const Published* p = ix.FindPublished(pair.second);
      if (!type.empty() && (p == nullptr || p->type != type)) continue;
      for (size_t i : events) {
        if (match(ix.event(i))) {
          ++got;
          break;
        }
      }
    }
    if (got != want[key].get<int64_t>()) {
      violations->push_back("expect.outcomes " + handler + (type.empty() ? "" : " " + type) + " " +
                            key + " = " + want[key].dump() + ", got " + std::to_string(got));
    }
  }
}

CheckResult Expectations(const HistoryIndex& ix, bool all_keys) {
  CheckResult r{"expectations", {}, {}};
  auto raw = ix.header().find("expect");
  if (raw != ix.header().end() && !raw->is_object() && !raw->is_null()) {
    r.violations.push_back("header expect is not an object: " + raw->dump());
    return r;
  }
  for (const auto& [name, value] : ix.expect().items()) {
    if (name == "outcomes" && value.is_array()) {
      for (const auto& want : value) ExpectOutcome(ix, want, &r.violations);
      continue;
    }
    const Key* k = FindKey(name);
    if (k == nullptr) {
      r.violations.push_back("unknown expectation expect." + name + " = " + value.dump());
      continue;
    }
    if (k->owned && !all_keys) continue;
    if (k->measure == nullptr) {  // spread_min_fraction
      if (std::optional<double> f = ExpectNumber(ix, name, false, &r.violations)) {
        for (std::string& v : SpreadShortfalls(ix, *f)) r.violations.push_back(std::move(v));
      }
      continue;
    }
    ExpectCount(ix, name, k->measure(ix), k->relation, &r.violations);
  }
  return r;
}

}  // namespace internal

std::vector<std::string> ExpectKeys() {
  std::vector<std::string> keys;
  for (const internal::Key& k : internal::kKeys) keys.emplace_back(k.name);
  return keys;
}

void CheckResult::Add(std::string violation, std::vector<size_t> about) {
  events.resize(violations.size());
  violations.push_back(std::move(violation));
  events.push_back(std::move(about));
}

std::vector<CheckResult> RunCheckers(const History& history) {
  const internal::HistoryIndex ix(history);
  return {internal::NoLoss(ix),          internal::Duplicates(ix),
          internal::DlqIffExhausted(ix), internal::Backoff(ix),
          internal::RetryBacklog(ix),    internal::HandlerCalls(ix),
          internal::Drain(ix),           internal::Readiness(ix),
          internal::DlqAlerts(ix),       internal::Scaling(ix),
          internal::Convergence(ix),     internal::Circuit(ix),
          internal::Concurrency(ix),     internal::Recovery(ix),
          internal::Lanes(ix),           internal::Expectations(ix, false)};
}

CheckResult CheckNoLoss(const History& h) { return internal::NoLoss(internal::HistoryIndex(h)); }
CheckResult CheckDuplicates(const History& h) {
  return internal::Duplicates(internal::HistoryIndex(h));
}
CheckResult CheckDlqIffExhausted(const History& h) {
  return internal::DlqIffExhausted(internal::HistoryIndex(h));
}
CheckResult CheckBackoff(const History& h) { return internal::Backoff(internal::HistoryIndex(h)); }
CheckResult CheckRetryBacklog(const History& h) {
  return internal::RetryBacklog(internal::HistoryIndex(h));
}
CheckResult CheckHandlerCalls(const History& h) {
  return internal::HandlerCalls(internal::HistoryIndex(h));
}
CheckResult CheckDrain(const History& h) { return internal::Drain(internal::HistoryIndex(h)); }
CheckResult CheckReadiness(const History& h) {
  return internal::Readiness(internal::HistoryIndex(h));
}
CheckResult CheckDlqAlerts(const History& h) {
  return internal::DlqAlerts(internal::HistoryIndex(h));
}
CheckResult CheckScaling(const History& h) { return internal::Scaling(internal::HistoryIndex(h)); }
CheckResult CheckConvergence(const History& h) {
  return internal::Convergence(internal::HistoryIndex(h));
}
CheckResult CheckCircuit(const History& h) { return internal::Circuit(internal::HistoryIndex(h)); }
CheckResult CheckConcurrency(const History& h) {
  return internal::Concurrency(internal::HistoryIndex(h));
}
CheckResult CheckRecovery(const History& h) {
  return internal::Recovery(internal::HistoryIndex(h));
}
CheckResult CheckLanes(const History& h) { return internal::Lanes(internal::HistoryIndex(h)); }
CheckResult CheckExpectations(const History& h) {
  return internal::Expectations(internal::HistoryIndex(h), true);
}

}  // namespace protean::harness
