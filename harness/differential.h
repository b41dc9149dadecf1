#pragma once
// The differential oracle: one scenario and seed run in memory mode (the
// simulation, with the memory twins of Redis and Message DB) and in test
// mode (real `protean server` processes against the real services) must
// end the same way for every message. Compared per (handler, message):
//
//   state       handled | dead_lettered | dropped | unfinished
//   attempts    the highest attempt number the handler was called with
//   dlq_reason  the class of the DLQ reason: its first word ("undecodable",
//               else "exhausted"), "" when not dead-lettered
//
// and per case the set of checkers that failed. Messages are matched by
// DecisionKey(message id) (core/engine/scripted_handler.h): a seed's n-th
// message has the same id in both modes but for its last 8 hex digits,
// which test mode tags per run. Timings are not compared: they differ by nature.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/history.h"
#include "harness/report.h"

namespace protean::harness {

struct MessageOutcome {
  std::string state = "unfinished";
  int64_t attempts = 0;
  std::string dlq_reason;
  bool operator==(const MessageOutcome& other) const = default;
};

// "<handler> <message key>" -> its outcome, from a history's events.
std::map<std::string, MessageOutcome> MessageOutcomes(const History& history);

// The checkers a case's failures name ("checker: ..." lines).
std::set<std::string> FailedCheckers(const CaseResult& result);

struct CompareOptions {
  bool attempts = true;  // false: states, DLQ reasons and checkers only
  size_t lines_max = 20;
};

// One line per divergence (empty: the runs agree), at most lines_max lines,
// then a count of the rest.
std::vector<std::string> CompareOutcomes(const History& memory, const CaseResult& memory_result,
                                         const History& test, const CaseResult& test_result,
                                         const CompareOptions& options = {});

}  // namespace protean::harness
