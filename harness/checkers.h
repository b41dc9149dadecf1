#pragma once
// Checkers read a finished run's history (docs/history.md) and report every
// rule it breaks. They run after every scenario, in both modes:
//
//   no_loss            each published message ends handled, dead-lettered,
//                      dropped or still pending, for every subscription of its stream
//   duplicates         a second successful handling only where at-least-once
//                      allows it (after a claim: crash, lost ack, drain cut-off;
//                      event store: after a restart from a stored position)
//   dlq_iff_exhausted  dead-lettered iff attempts ran out (or undecodable)
//   backoff            each retry waited as declared (delay, backoff kind, cap,
//                      within the jitter bounds; a declared jitter shows)
//   retry_backlog      retries waiting in memory stay within the backlog cap
//   drain              drain within its bound, nothing acked that was unfinished
//                      at the cut-off, shutdown steps in order, adapters closed in
//                      reverse order
//   readiness          readiness turns draining at the signal; probes during the
//                      drain answer 503 "unavailable"
//   dlq_alerts         per DLQ stream (handlers sharing one share it, lowest
//                      threshold wins): one alert per maintenance cycle while
//                      its depth >= threshold, none below it
//   handler_calls      each reported attempt is one call of the handler (the
//                      ledger the scripted handlers write), with the call's
//                      outcome, or a timeout iff it took longer than the budget
//   scaling            one consumer per stream message; event-store subscriptions
//                      see every message in every instance unless partitioned, then
//                      exactly one member; optional spread expectation
//   convergence        every message final within [phases] converge_within_ms of heal
//   circuit_breaker    each stream subscription's breaker opens exactly at the
//                      declared threshold of consecutive handler failures, runs
//                      no attempt while open, probes with one attempt after the
//                      declared reset window, and closes or re-opens on its outcome
//   concurrency        one instance runs at most the declared `concurrency`
//                      calls of a stream subscription at once (handler-call
//                      ledger); with `ordered_by`, calls for one key never
//                      overlap and start in publish order
//   priority_lanes     with [server.priority_lanes] declared on: no backfill
//                      message read while a primary one was waiting unread,
//                      each lane's dead letters in its own DLQ; and a stream
//                      subscription attempts only messages of its own streams
//   expectations       the scenario's [expect] counts
//
// Each violation is one human-readable line naming the message / instance and
// the time. Expectations come from the policy the scenario file declared
// (the header's "declared", harness/checkers_oracle.h), never from the
// engine's own functions, events or resolved config. Some checkers (no_loss, duplicates) also name
// the events a violation is about, for the HTML report to highlight (harness/html_report.h).

#include <cstddef>
#include <string>
#include <vector>

#include "harness/history.h"

namespace protean::harness {

struct CheckResult {
  std::string checker;
  std::vector<std::string> violations;
  // events[k]: indices into History::events that violations[k] is about (a
  // lost message's publish and deliveries, the handlings of a duplicate).
  // Shorter than `violations` when the last violations name none; a checker
  // that names none leaves it empty.
  std::vector<std::vector<size_t>> events;
  bool passed() const { return violations.empty(); }
  // Appends a violation and the events it is about.
  void Add(std::string violation, std::vector<size_t> about);
};

// The keys a scenario's [expect] table may hold, in the README's order (the
// checkers measure each; the scenario loader accepts exactly these).
std::vector<std::string> ExpectKeys();

// Runs every checker; the header's "expect" holds the scenario's [expect] table.
std::vector<CheckResult> RunCheckers(const History& history);

// Individual checkers, for unit tests.
CheckResult CheckNoLoss(const History& history);
CheckResult CheckDuplicates(const History& history);
CheckResult CheckDlqIffExhausted(const History& history);
CheckResult CheckBackoff(const History& history);
CheckResult CheckRetryBacklog(const History& history);
CheckResult CheckHandlerCalls(const History& history);
CheckResult CheckDrain(const History& history);
CheckResult CheckReadiness(const History& history);
CheckResult CheckDlqAlerts(const History& history);
CheckResult CheckScaling(const History& history);
CheckResult CheckConvergence(const History& history);
CheckResult CheckCircuit(const History& history);
CheckResult CheckConcurrency(const History& history);
CheckResult CheckRecovery(const History& history);
CheckResult CheckLanes(const History& history);
CheckResult CheckExpectations(const History& history);

}  // namespace protean::harness
