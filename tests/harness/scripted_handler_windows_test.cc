// Handler faults as scripted-handler data: fail_between / slow_between parse
// and act on the attempt's start time (ms since the Unix epoch).

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/configuration_error.h"
#include "core/config/scripted_handler_spec.h"
#include "core/engine/scripted_handler.h"
#include "tests/harness/scripted_spec_util.h"

namespace protean {
namespace {

using testing::ParseSpec;

std::string ParseError(const std::string& text) {
  try {
    ParseSpec(text);
  } catch (const config::ConfigurationError& e) {
    return e.what();
  }
  return "";
}

HandlerResult Attempt(const ScriptedHandlerSpec& spec, int64_t at_ms, Duration* cost) {
  HandlerRegistration h = MakeScriptedHandler(spec, std::make_shared<ScriptedRuntime>(1));
  Message m;
  m.id = "m1";
  m.type = "Event";
  m.attempt = 1;
  HandlerContext ctx;
  ctx.now = FromMillis(at_ms);
  HandlerResult r = h.fn(m, ctx);
  *cost = ctx.cost;
  return r;
}

TEST(ScriptedHandlerWindowsTest, Parses) {
  const ScriptedHandlerSpec s = ParseSpec(
      "stream = \"s\"\nfail_between = [[10, 20], [30, 30]]\nslow_between = [[5, 15, 7]]\n");
  ASSERT_EQ(s.fail_between.size(), 2u);
  EXPECT_EQ(s.fail_between[0].from_ms, 10);
  EXPECT_EQ(s.fail_between[0].until_ms, 20);
  ASSERT_EQ(s.slow_between.size(), 1u);
  EXPECT_EQ(s.slow_between[0].extra_ms, 7);
}

TEST(ScriptedHandlerWindowsTest, RejectsMalformedWindows) {
  EXPECT_NE(ParseError("stream = \"s\"\nfail_between = [10, 20]\n").find("fail_between"),
            std::string::npos);
  EXPECT_NE(ParseError("stream = \"s\"\nfail_between = [[20, 10]]\n").find("item 0"),
            std::string::npos);
  EXPECT_NE(ParseError("stream = \"s\"\nslow_between = [[1, 2]]\n").find("extra_ms"),
            std::string::npos);
  EXPECT_NE(ParseError("stream = \"s\"\nfail_between = [[-1, 2]]\n").find("0 <= from_ms"),
            std::string::npos);
}

TEST(ScriptedHandlerWindowsTest, FailsAndSlowsInsideTheWindowOnly) {
  const ScriptedHandlerSpec s = ParseSpec(
      "stream = \"s\"\nduration_ms = 3\nfail_between = [[100, 200]]\n"
      "slow_between = [[150, 300, 40], [250, 260, 2]]\n");
  Duration cost{0};
  EXPECT_TRUE(Attempt(s, 99, &cost).ok());
  EXPECT_EQ(cost, Millis(3));
  EXPECT_FALSE(Attempt(s, 100, &cost).ok());
  EXPECT_FALSE(Attempt(s, 199, &cost).ok());
  EXPECT_EQ(cost, Millis(43));
  EXPECT_TRUE(Attempt(s, 200, &cost).ok());
  EXPECT_TRUE(Attempt(s, 255, &cost).ok());
  EXPECT_EQ(cost, Millis(45));
  EXPECT_TRUE(Attempt(s, 300, &cost).ok());
  EXPECT_EQ(cost, Millis(3));
}

}  // namespace
}  // namespace protean
