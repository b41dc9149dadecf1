// The circuit_breaker checker over hand-built histories: it judges the
// breaker's transitions from the attempts and the declared threshold and
// reset, never from the engine.

#include <gtest/gtest.h>

#include "harness/checkers.h"
#include "tests/harness/checker_test_util.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;
using json = nlohmann::ordered_json;

const json kBreaker = {{"circuit_breaker_threshold", 2}, {"circuit_breaker_reset_seconds", 5}};

HistoryBuilder& Circuit(HistoryBuilder& b, const std::string& outcome, int64_t failures,
                        int64_t due_ms = -1) {
  json e = {{"event", "circuit_breaker"}, {"instance", "w0"},   {"subscription", "Billing"},
            {"stream", "orders"},         {"outcome", outcome}, {"value", failures},
            {"detail", "threshold 2"}};
  if (due_ms >= 0) e["due"] = HistoryBuilder::kStartUs + due_ms * 1000;
  return b.Raw(std::move(e));
}

// m1, m2 fail at 0 (opens, probe due at 5 s); at `probe_ms` m3 probes with
// `probe_outcome`.
HistoryBuilder Tripped() {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", kBreaker).Start("w0").Publish("m1").Publish("m2").Publish("m3");
  b.Attempt("w0", "Billing", "m1", 1, "failed").Attempt("w0", "Billing", "m2", 1, "failed");
  Circuit(b, "opened", 2, 5000);
  return b;
}

TEST(CircuitCheckerTest, OpenProbeCloseAsDeclaredPasses) {
  HistoryBuilder b = Tripped();
  b.At(5000);
  Circuit(b, "half_open", 0);
  b.Attempt("w0", "Billing", "m3", 1, "ok");
  Circuit(b, "closed", 0);
  EXPECT_PASSES(CheckCircuit(b.Build()));
}

TEST(CircuitCheckerTest, AFailingProbeMustReopen) {
  HistoryBuilder b = Tripped();
  b.At(5000);
  Circuit(b, "half_open", 0);
  b.Attempt("w0", "Billing", "m3", 1, "failed");
  Circuit(b, "closed", 0);
  EXPECT_FAILS_WITH(CheckCircuit(b.Build()), "(expected opened)");
}

TEST(CircuitCheckerTest, OpeningBeforeTheThresholdFails) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", kBreaker).Start("w0").Publish("m1");
  b.Attempt("w0", "Billing", "m1", 1, "failed");
  Circuit(b, "opened", 1, 5000);
  EXPECT_FAILS_WITH(CheckCircuit(b.Build()),
                    "circuit opened after 1 consecutive failure(s), declared threshold 2");
}

TEST(CircuitCheckerTest, NotOpeningAtTheThresholdFails) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", kBreaker).Start("w0").Publish("m1").Publish("m2").Publish("m3");
  b.Attempt("w0", "Billing", "m1", 1, "failed").Attempt("w0", "Billing", "m2", 1, "failed");
  b.Attempt("w0", "Billing", "m3", 1, "ok");
  EXPECT_FAILS_WITH(CheckCircuit(b.Build()), "expected the circuit to turn opened here");
}

TEST(CircuitCheckerTest, ASuccessResetsTheCount) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", kBreaker).Start("w0").Publish("m1").Publish("m2").Publish("m3");
  b.Attempt("w0", "Billing", "m1", 1, "failed").Attempt("w0", "Billing", "m2", 1, "ok");
  b.Attempt("w0", "Billing", "m3", 1, "failed");
  EXPECT_PASSES(CheckCircuit(b.Build()));
}

TEST(CircuitCheckerTest, AnAttemptWhileOpenFails) {
  HistoryBuilder b = Tripped();
  b.At(2000).Attempt("w0", "Billing", "m3", 1, "ok");
  EXPECT_FAILS_WITH(CheckCircuit(b.Build()), "started while the circuit was open");
}

TEST(CircuitCheckerTest, HalfOpenBeforeTheResetWindowFails) {
  HistoryBuilder b = Tripped();
  b.At(4000);
  Circuit(b, "half_open", 0);
  EXPECT_FAILS_WITH(CheckCircuit(b.Build()), "half_open before the reset window ended");
}

TEST(CircuitCheckerTest, AWrongProbeTimeFails) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", kBreaker).Start("w0").Publish("m1").Publish("m2");
  b.Attempt("w0", "Billing", "m1", 1, "failed").Attempt("w0", "Billing", "m2", 1, "failed");
  Circuit(b, "opened", 2, 60000);
  EXPECT_FAILS_WITH(CheckCircuit(b.Build()), "declared reset 5");
}

TEST(CircuitCheckerTest, TwoProbesFail) {
  HistoryBuilder b = Tripped();
  b.Publish("m4").At(5000);
  Circuit(b, "half_open", 0);
  b.Msg("attempt_started", "w0", "Billing", "m3", 1);
  b.Msg("attempt_started", "w0", "Billing", "m4", 1);
  EXPECT_FAILS_WITH(CheckCircuit(b.Build()), "a second attempt started while half_open");
}

TEST(CircuitCheckerTest, ARestartStartsClosed) {
  HistoryBuilder b = Tripped();
  b.At(1000).Start("w0").Publish("m4");
  b.Attempt("w0", "Billing", "m4", 1, "ok");  // a new run: not paused
  EXPECT_PASSES(CheckCircuit(b.Build()));
}

}  // namespace
}  // namespace protean::harness
