#pragma once
// Private to the checkers (harness/checkers*.cc) and the HTML report's model
// (harness/html_report_model.cc): a HistoryIndex reads a
// History once into typed events, the subscriptions and instances of its
// header, the published messages with the subscriptions that must handle
// them, and each instance's runs (engine_started .. crashed / stopped), so
// every checker asks the same questions the same way.
//
// A message is keyed per subscription by its message_id; an engine event
// without one (a stream retry, an undecodable entry) is matched to its
// published message through (stream, entry_id). Times in violations are
// relative to the first event ("+1.500s").

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/checkers.h"
#include "harness/checkers_oracle.h"
#include "harness/history.h"

namespace protean::harness::internal {

inline constexpr size_t kNone = static_cast<size_t>(-1);
// slack_us() outside the simulation.
inline constexpr int64_t kRealClockSlackUs = 250'000;

// One event line, with absent fields empty / zero.
struct Ev {
  size_t index = 0;  // position in History::events
  int64_t t = 0;
  std::string kind;  // the "event" field
  std::string instance;
  std::string subscription;
  std::string stream;
  std::string message_id;  // resolved through (stream, entry_id) when absent
  bool message_id_given = false;
  std::string entry_id;
  std::string outcome;
  std::string detail;
  int64_t attempt = 0;
  int64_t value = 0;
  int64_t due = 0;
};

// An attempt that finished, one that finished ok, and a message settled by
// this event (handled, or dropped by the engine).
inline bool IsFinish(const Ev& e) { return e.kind == "attempt_finished"; }
inline bool IsOk(const Ev& e) { return IsFinish(e) && e.outcome == "ok"; }
inline bool IsHandled(const Ev& e) { return IsOk(e) || e.kind == "dropped"; }

// A subscription: its stream from the header, its policy from the scenario's
// declaration (checkers_oracle.h).
struct SubInfo {
  std::string name;
  bool event_store = false;
  std::string stream;  // broker stream, or event-store category
  // [server.priority_lanes] declared: the backfill lane it also consumes
  // ("" when off, and for event-store subscriptions).
  std::string backfill_stream;
  SubPolicy config;
  int64_t attempts_max() const { return config.attempts_max(); }
};

struct Published {
  size_t index = 0;
  int64_t t = 0;
  std::string stream;
  std::string message_id;
  std::string entry_id;
  std::string type;            // the message type ("" for an undecodable entry)
  std::string payload = "{}";  // as published (the JSON object text)
  bool event_store = false;
  std::vector<std::string> subscriptions;  // every subscription that must handle it
};

// One life of an instance: from engine_started to its crash or stop.
struct Run {
  std::string instance;
  size_t start = 0;        // the engine_started event
  size_t end = kNone;      // last event of the run (kNone: it ran to the end)
  size_t signal = kNone;   // shutdown_step signal:*
  size_t stopped = kNone;  // shutdown_step stopped
  size_t crashed = kNone;
  std::set<std::string> subscriptions;  // subscription_started in this run
  bool Contains(size_t i) const { return i >= start && (end == kNone || i <= end); }
  // Running at the end of the history: neither crashed nor shutting down.
  bool alive_at_end() const { return end == kNone && signal == kNone && crashed == kNone; }
};

struct Partition {
  int64_t member = 0;
  int64_t size = 0;
};

// A fault as the history shows it: between its fault_started and fault_ended
// events (indexes into the history).
struct FaultSpan {
  std::string kind;
  std::string instance;  // empty: every instance
  size_t start = 0;
  size_t end = kNone;  // the matching fault_ended (kNone: open to the end)
  bool Covers(const std::string& inst, size_t i) const {
    return (instance.empty() || instance == inst) && i > start && (end == kNone || i < end);
  }
};

// "account-1" -> "account": the text before the first '-'.
std::string Category(const std::string& stream);

class HistoryIndex {
 public:
  explicit HistoryIndex(const History& history);

  const nlohmann::ordered_json& header() const { return header_; }
  // The [expect] table (an empty object when absent).
  const nlohmann::ordered_json& expect() const { return expect_; }
  int64_t start_us() const { return start_us_; }
  int64_t end_us() const { return end_us_; }
  int64_t drain_timeout_us() const { return drain_timeout_us_; }
  // The header carries the scenario's declaration ("declared"): policies are
  // the oracle's, not the engine's resolved ones.
  bool declared() const { return declared_; }
  const DlqPolicy& dlq_policy() const { return dlq_policy_; }
  const LanesPolicy& lanes_policy() const { return lanes_policy_; }
  // How far apart two readings of one moment may be: 0 in the simulation
  // ("memory" mode, or no mode); against real services the clock moves
  // between two events of one step and timers fire late.
  int64_t slack_us() const { return slack_us_; }

  const std::vector<Ev>& events() const { return events_; }
  const Ev& event(size_t i) const { return events_[i]; }
  // Indices of the events of one kind, in order.
  const std::vector<size_t>& OfKind(std::string_view kind) const;
  // Indices of the events naming this instance, in order.
  const std::vector<size_t>& OfInstance(const std::string& instance) const;
  // Indices of the events of one (subscription, message), in order
  // (final_pending included: its subscription is the group).
  const std::vector<size_t>& OfPair(const std::string& sub, const std::string& message) const;
  const std::map<std::pair<std::string, std::string>, std::vector<size_t>>& pairs() const {
    return pairs_;
  }

  const std::map<std::string, SubInfo>& subscriptions() const { return subs_; }
  const SubInfo* subscription(const std::string& name) const;
  const std::vector<Published>& published() const { return published_; }
  const Published* FindPublished(const std::string& message_id) const;
  bool InFinalDlq(const std::string& stream, const std::string& message_id) const;

  const std::map<std::string, std::vector<Run>>& runs() const { return runs_; }
  const std::vector<Run>& RunsOf(const std::string& instance) const;
  const Run* RunAt(const std::string& instance, size_t index) const;
  std::optional<Partition> partition(const std::string& instance) const;
  const std::vector<FaultSpan>& faults() const { return faults_; }

  // Some run of some instance started this subscription.
  bool SubscriptionRan(const std::string& sub) const;
  // Instances whose last run started `sub` and is still running at the end.
  std::vector<std::string> AliveAtEnd(const std::string& sub) const;
  // Someone running at the end can take any message of `sub`: an instance
  // is alive, and when partitioned, every member has an alive instance.
  bool CoveredAtEnd(const std::string& sub) const;
  // Started with the first event (within slack_us), one run, never
  // signalled or crashed.
  bool FullLife(const std::string& instance) const;

  // "+1.500s" relative to the first event.
  std::string Rel(int64_t t) const;
  // "t=+1.500s w0 Billing msg 3f2a1b2c" (empty parts left out).
  std::string Where(int64_t t, const std::string& instance, const std::string& sub,
                    const std::string& message_id) const;
  std::string Where(const Ev& e) const {
    return Where(e.t, e.instance, e.subscription, e.message_id);
  }

 private:
  void ReadHeader();
  void ReadEvents(const History& history);
  void ReadPublished(const Ev& e, const nlohmann::ordered_json& line);
  void TrackRun(const Ev& e);
  void TrackFault(const Ev& e);

  nlohmann::ordered_json header_;
  nlohmann::ordered_json expect_ = nlohmann::ordered_json::object();
  int64_t start_us_ = 0;
  int64_t end_us_ = 0;
  int64_t drain_timeout_us_ = 10'000'000;
  bool declared_ = false;
  DlqPolicy dlq_policy_;
  LanesPolicy lanes_policy_;
  int64_t slack_us_ = 0;
  std::vector<Ev> events_;
  std::map<std::string, std::vector<size_t>, std::less<>> by_kind_;
  std::map<std::string, std::vector<size_t>> by_instance_;
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> pairs_;
  std::map<std::string, SubInfo> subs_;
  std::vector<Published> published_;
  std::map<std::string, size_t> published_by_id_;
  std::map<std::pair<std::string, std::string>, std::string> id_by_entry_;
  std::set<std::pair<std::string, std::string>> final_dlq_;
  std::map<std::string, std::vector<Run>> runs_;
  std::map<std::string, std::optional<Partition>> partitions_;
  std::vector<FaultSpan> faults_;
};

// Shared by a checker and CheckExpectations.
struct DuplicateCount {
  int64_t extras = 0;                   // successful handlings beyond the first, in all
  std::vector<size_t> extra_handlings;  // their attempt_finished events
  std::vector<std::string> violations;
  std::vector<std::vector<size_t>> events;  // per violation: the handlings
};
DuplicateCount AnalyzeDuplicates(const HistoryIndex& ix);
// Violations of expect.spread_min_fraction = `fraction`.
std::vector<std::string> SpreadShortfalls(const HistoryIndex& ix, double fraction);
// Probes answered 503 "unavailable" while their instance drained.
int64_t ProbesUnavailableDuringDrain(const HistoryIndex& ix);
// The number in expect[key] when it is a non-negative number; otherwise a
// violation is added and nullopt returned. nullopt without violation: absent.
std::optional<double> ExpectNumber(const HistoryIndex& ix, const std::string& key, bool integer,
                                   std::vector<std::string>* violations);
// "expect.<key> = <want>, got <got>"-style checks used by several checkers.
void ExpectCount(const HistoryIndex& ix, const std::string& key, int64_t got, char relation,
                 std::vector<std::string>* violations);

// The checkers over a prepared index (the public Check* build one each).
CheckResult NoLoss(const HistoryIndex& ix);
CheckResult Duplicates(const HistoryIndex& ix);
CheckResult DlqIffExhausted(const HistoryIndex& ix);
CheckResult Backoff(const HistoryIndex& ix);
CheckResult RetryBacklog(const HistoryIndex& ix);
CheckResult HandlerCalls(const HistoryIndex& ix);
CheckResult Drain(const HistoryIndex& ix);
CheckResult Readiness(const HistoryIndex& ix);
CheckResult DlqAlerts(const HistoryIndex& ix);
CheckResult Scaling(const HistoryIndex& ix);
CheckResult Convergence(const HistoryIndex& ix);
CheckResult Circuit(const HistoryIndex& ix);
CheckResult Concurrency(const HistoryIndex& ix);
// The most handler calls of one stream subscription that ran at once on one
// instance (the `concurrent_min` expectation).
int64_t MostConcurrentCalls(const HistoryIndex& ix);
CheckResult Recovery(const HistoryIndex& ix);
CheckResult Lanes(const HistoryIndex& ix);  // checkers_lanes.cc
// `all_keys` false leaves out the keys another checker already enforces
// (duplicates_*, alerts*, spread_min_fraction), so RunCheckers reports each
// miss once.
CheckResult Expectations(const HistoryIndex& ix, bool all_keys);

}  // namespace protean::harness::internal
