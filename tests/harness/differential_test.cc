// The differential oracle's comparison (harness/differential.h) and the
// timeline `replay --sim` rebuilds from a test-mode history
// (harness/sim_replay.h), over hand-written histories.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/differential.h"
#include "harness/faults/fault_registry.h"
#include "harness/sim_replay.h"

namespace protean::harness {
namespace {

using nlohmann::ordered_json;

// A memory-mode id and the same message's test-mode id (last 8 digits tagged).
const std::string kMemoryId = "0badf00d-1111-4222-8333-444455556666";
const std::string kTestId = "0badf00d-1111-4222-8333-4444c0ffee00";

ordered_json Ev(const std::string& event, const std::string& id, int64_t attempt,
                const std::string& outcome = "", const std::string& detail = "") {
  ordered_json e = {{"t", 1000},
                    {"event", event},
                    {"subscription", "Billing"},
                    {"message_id", id},
                    {"attempt", attempt}};
  if (!outcome.empty()) e["outcome"] = outcome;
  if (!detail.empty()) e["detail"] = detail;
  return e;
}

History Handled(const std::string& id, int64_t attempts) {
  History h;
  h.header = {{"history", 1}};
  for (int64_t a = 1; a <= attempts; ++a) {
    h.events.push_back(Ev("attempt_started", id, a));
    h.events.push_back(Ev("attempt_finished", id, a, a == attempts ? "ok" : "failed"));
  }
  return h;
}

TEST(DifferentialTest, TheSameOutcomeUnderTaggedIdsAgrees) {
  EXPECT_TRUE(CompareOutcomes(Handled(kMemoryId, 2), {}, Handled(kTestId, 2), {}).empty());
  const auto outcomes = MessageOutcomes(Handled(kTestId, 2));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes.begin()->second.state, "handled");
  EXPECT_EQ(outcomes.begin()->second.attempts, 2);
}

TEST(DifferentialTest, AttemptsStatesReasonsAndCheckersDiverge) {
  const auto attempts = CompareOutcomes(Handled(kMemoryId, 1), {}, Handled(kTestId, 2), {});
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_NE(attempts[0].find("memory handled, 1 attempt(s); test handled, 2 attempt(s)"),
            std::string::npos)
      << attempts[0];

  History dlq = Handled(kTestId, 0);
  dlq.events.push_back(Ev("dlq_moved", kTestId, 3, "", "undecodable: bad payload"));
  const auto state = CompareOutcomes(Handled(kMemoryId, 1), {}, dlq, {});
  ASSERT_EQ(state.size(), 1u);
  EXPECT_NE(state[0].find("test dead_lettered, 0 attempt(s), DLQ reason undecodable"),
            std::string::npos)
      << state[0];

  History missing;  // the test run never saw the message
  EXPECT_EQ(CompareOutcomes(Handled(kMemoryId, 1), {}, missing, {}).size(), 1u);

  CaseResult failed;
  failed.failures = {"no_loss: msg x never handled"};
  const auto checkers = CompareOutcomes(Handled(kMemoryId, 1), {}, Handled(kTestId, 1), failed);
  ASSERT_EQ(checkers.size(), 1u);
  EXPECT_EQ(checkers[0], "checkers failed: memory none; test no_loss");
}

TEST(DifferentialTest, WithoutAttemptsOnlyStatesCount) {
  CompareOptions o;
  o.attempts = false;
  EXPECT_TRUE(CompareOutcomes(Handled(kMemoryId, 1), {}, Handled(kTestId, 3), {}, o).empty());
  History dropped = Handled(kTestId, 0);
  dropped.events.push_back(Ev("dropped", kTestId, 3));
  EXPECT_EQ(CompareOutcomes(Handled(kMemoryId, 1), {}, dropped, {}, o).size(), 1u);
}

TEST(SimReplayTest, TimelineFromATestModeHistory) {
  Scenario s;
  s.faults.push_back(BuiltinFaults().Create("broker_unavailable"));
  History h;
  h.header = {{"history", 1}, {"mode", "test"}, {"start_us", 5'000'000}};
  h.events.push_back({{"t", 5'250'000},
                      {"event", "published"},
                      {"stream", "hc0ffee00xorders"},
                      {"message_id", kTestId},
                      {"entry_id", "1-0"},
                      {"detail", "OrderPlaced"},
                      {"outcome", "stream"}});
  h.events.push_back(
      {{"t", 5'400'000}, {"event", "fault_started"}, {"detail", "broker_unavailable"}});
  h.events.push_back(
      {{"t", 6'150'000}, {"event", "fault_ended"}, {"detail", "broker_unavailable"}});
  Result<PinnedTimeline> t = TimelineFromHistory(h, s);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->publishes.size(), 1u);
  EXPECT_EQ(t->publishes[0].at_ms.lo, 250);
  EXPECT_EQ(t->publishes[0].stream, "orders");
  EXPECT_EQ(t->publishes[0].id, kTestId);
  EXPECT_FALSE(t->publishes[0].event_store);
  ASSERT_EQ(t->faults.size(), 1u);
  ASSERT_TRUE(t->faults[0].has_value());
  EXPECT_EQ(t->faults[0]->at_ms, 400);
  EXPECT_EQ(t->faults[0]->duration_ms, 750);

  h.header.erase("start_us");
  EXPECT_FALSE(TimelineFromHistory(h, s).ok());
}

}  // namespace
}  // namespace protean::harness
