// Scripted handlers decide drawn durations and fail_probability failures per
// attempt from a hash of (decision seed, handler, message id, attempt): the
// same attempt gets the same decision in any order, in another runtime (a
// separate process), and whatever tags the last 8 digits of a UUID id.

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/configuration_error.h"
#include "core/config/scripted_handler_spec.h"
#include "core/engine/scripted_handler.h"
#include "tests/harness/scripted_spec_util.h"

namespace protean {
namespace {

using testing::ParseSpec;

struct Outcome {
  bool ok = false;
  Duration cost{0};
  bool operator==(const Outcome& o) const = default;
};

Outcome Attempt(const HandlerRegistration& h, const std::string& id, int64_t attempt) {
  Message m;
  m.id = id;
  m.type = "Event";
  m.attempt = attempt;
  HandlerContext ctx;
  const HandlerResult r = h.fn(m, ctx);
  return Outcome{r.kind() == HandlerResult::Kind::kOk, ctx.cost};
}

std::string Id(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08d-0000-4000-8000-00000000abcd", i);
  return buf;
}

constexpr const char* kSpec =
    "stream = \"s\"\nfail_probability = \"1/3\"\nduration_ms = [1, 50]\ndecision_seed = 9\n";

TEST(ScriptedHandlerDecisionsTest, SameAttemptSameDecisionInAnyOrderAndRuntime) {
  const ScriptedHandlerSpec spec = ParseSpec(kSpec);
  ASSERT_EQ(spec.decision_seed, 9u);
  // Two runtimes with different process seeds: decision_seed wins.
  const HandlerRegistration a = MakeScriptedHandler(spec, std::make_shared<ScriptedRuntime>(1));
  const HandlerRegistration b = MakeScriptedHandler(spec, std::make_shared<ScriptedRuntime>(77));
  std::vector<Outcome> forward;
  for (int i = 0; i < 200; ++i) forward.push_back(Attempt(a, Id(i), 1 + i % 3));
  for (int i = 199; i >= 0; --i) {
    EXPECT_EQ(Attempt(b, Id(i), 1 + i % 3), forward[static_cast<size_t>(i)]) << Id(i);
  }
}

TEST(ScriptedHandlerDecisionsTest, FailuresFollowTheProbabilityAndDurationsTheirRange) {
  const HandlerRegistration h =
      MakeScriptedHandler(ParseSpec(kSpec), std::make_shared<ScriptedRuntime>(1));
  int failed = 0;
  Duration low = Millis(1000), high{0};
  for (int i = 0; i < 3000; ++i) {
    const Outcome o = Attempt(h, Id(i), 1);
    failed += o.ok ? 0 : 1;
    low = std::min(low, o.cost);
    high = std::max(high, o.cost);
  }
  EXPECT_GT(failed, 800);  // 1/3 of 3000 = 1000
  EXPECT_LT(failed, 1200);
  EXPECT_EQ(low, Millis(1));
  EXPECT_EQ(high, Millis(50));
}

TEST(ScriptedHandlerDecisionsTest, TheLastEightDigitsOfAUuidAreNotPartOfTheDecision) {
  const HandlerRegistration h =
      MakeScriptedHandler(ParseSpec(kSpec), std::make_shared<ScriptedRuntime>(1));
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    std::string tagged = Id(i);
    tagged.replace(28, 8, "1234beef");
    EXPECT_EQ(Attempt(h, tagged, 2), Attempt(h, Id(i), 2));
    differ += Attempt(h, Id(i), 2) == Attempt(h, Id(i), 3) ? 0 : 1;
  }
  EXPECT_GT(differ, 0) << "the attempt is part of the decision";
  EXPECT_EQ(DecisionKey("not-a-uuid"), "not-a-uuid");
}

TEST(ScriptedHandlerDecisionsTest, DecisionSeedOutOfRangeIsAnError) {
  try {
    ParseSpec("stream = \"s\"\ndecision_seed = -1\n");
    FAIL() << "a negative decision_seed was accepted";
  } catch (const config::ConfigurationError& e) {
    EXPECT_NE(std::string(e.what()).find("decision_seed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace protean
