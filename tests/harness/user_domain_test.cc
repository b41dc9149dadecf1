// The harness over a user's domain and C++ handlers: --shard's split,
// workload payloads (inline and JSON lines), the user's domain.toml merged
// under a scenario, and a memory-mode run whose C++ handler decides from the
// payload (its failures dead-letter exactly the declined orders); the bounds
// of a scenario file (size, nesting, milliseconds, fault instances).
#include <set>

#include <gtest/gtest.h>

#include "core/config/configuration_error.h"
#include "harness/case_shard.h"
#include "harness/runner.h"
#include "harness/user_domain.h"
#include "tests/config/test_util.h"

namespace protean::harness {
namespace {

using config::testing::TempDir;

const std::string kFixture = PROTEAN_SOURCE_DIR "/tests/harness/fixtures/user_domain";

TEST(CaseShardTest, ShardsCoverEveryCaseOnce) {
  std::string error;
  std::multiset<size_t> seen;
  for (size_t k = 1; k <= 3; ++k) {
    std::optional<CaseShard> shard = ParseCaseShard(std::to_string(k) + "/3", &error);
    ASSERT_TRUE(shard) << error;
    for (size_t i = 0; i < 10; ++i) {
      if (shard->Holds(i)) seen.insert(i);
    }
  }
  EXPECT_EQ(seen, (std::multiset<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  for (const char* bad : {"0/3", "4/3", "1/0", "x/2", "1/2/3", "12", "", "1/1001"}) {
    EXPECT_FALSE(ParseCaseShard(bad, &error)) << bad;
    EXPECT_NE(error.find("--shard"), std::string::npos) << error;
  }
}

const char* kScenarioHead = "[[workload]]\nstream = \"orders\"\n";
const char* kScenarioTail = "[handlers.Billing]\nstream = \"orders\"\n";

TEST(WorkloadPayloadTest, InlinePayloadMustBeAJsonObject) {
  TempDir dir;
  Scenario s = LoadScenario(dir.Write(
      "s/ok.toml",
      std::string(kScenarioHead) + "payload = '{\"order_id\": \"o-1\"}'\n" + kScenarioTail));
  EXPECT_EQ(s.workload.at(0).payloads, (std::vector<std::string>{R"({"order_id": "o-1"})"}));
  for (const char* bad : {"payload = '[1]'", "payload = '{oops'"}) {
    auto file = dir.Write("s/bad.toml", std::string(kScenarioHead) + bad + "\n" + kScenarioTail);
    config::ConfigurationError e = config::testing::CaptureError([&] { LoadScenario(file); });
    EXPECT_EQ(e.key_path, "workload[0].payload") << e.what();
    EXPECT_EQ(e.line, 3u) << e.what();
  }
}

TEST(WorkloadPayloadTest, PayloadsFileErrorNamesItsLine) {
  TempDir dir;
  dir.Write("s/payloads.jsonl", "{\"a\": 1}\n\n{\"b\": \n");
  auto file = dir.Write("s/bad.toml", std::string(kScenarioHead) +
                                          "payloads_file = \"payloads.jsonl\"\n" + kScenarioTail);
  config::ConfigurationError e = config::testing::CaptureError([&] { LoadScenario(file); });
  EXPECT_EQ(e.file, (dir.path() / "s" / "payloads.jsonl").string());
  EXPECT_EQ(e.line, 3u);
  EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
}

HandlerResult DeclineCards(const Message& m, HandlerContext&) {
  if (m.data.find("declined") != std::string::npos) return HandlerResult::Retryable("declined");
  return HandlerResult::Ok();
}

HandlerCatalog OrdersCatalog() {
  HandlerCatalog catalog;
  HandlerOptions shipping;
  shipping.stream = "orders";
  catalog.AddHandler("Billing", DeclineCards)
      .AddHandler(
          "Shipping", [](const Message&, HandlerContext&) { return HandlerResult::Ok(); },
          shipping);
  return catalog;
}

TEST(UserDomainTest, MergesTheUserFileUnderTheScenario) {
  HandlerCatalog catalog = OrdersCatalog();
  UserDomain user = LoadUserDomain(kFixture, catalog);
  EXPECT_EQ(user.file, kFixture + "/domain.toml");
  Scenario s = LoadScenario(kFixture + "/scenarios/declined.toml", &user);
  EXPECT_EQ(s.handlers["Billing"]["stream"].value_or(std::string()), "orders");
  // Shipping had no table: one was written from its HandlerOptions.
  EXPECT_EQ(s.handlers["Shipping"]["stream"].value_or(std::string()), "orders");
  EXPECT_TRUE(s.domain.contains("memory"));
  EXPECT_FALSE(s.domain.contains("handlers"));
}

TEST(UserDomainTest, CppHandlerWithoutStreamOrTableIsAnError) {
  HandlerCatalog catalog;
  catalog.AddHandler("Invoicing", DeclineCards);
  config::ConfigurationError e =
      config::testing::CaptureError([&] { LoadUserDomain(kFixture, catalog); });
  EXPECT_EQ(e.key_path, "handlers.Invoicing");
  EXPECT_NE(std::string(e.what()).find("[handlers.Invoicing]"), std::string::npos) << e.what();
}

TEST(UserDomainTest, MemoryRunWithCppHandlersPassesTheCheckers) {
  HandlerCatalog catalog = OrdersCatalog();
  UserDomain user = LoadUserDomain(kFixture, catalog);
  Scenario s = LoadScenario(kFixture + "/scenarios/declined.toml", &user);
  RunOptions o;
  o.handlers = &catalog;
  RunOutput out = RunScenario(s, o);
  EXPECT_TRUE(out.result.passed()) << ::testing::PrintToString(out.result.failures);
  // The C++ handler saw the payloads: exactly the declined orders went to the DLQ.
  size_t dlq = 0;
  for (const auto& e : out.history.events) dlq += e.value("event", "") == "dlq_moved" ? 1 : 0;
  EXPECT_EQ(dlq, 2u);
}

// A key the user's domain file gives wrongly is named at its line in that
// file, not in the scenario's (the merged copy has no source regions).
TEST(UserDomainTest, ABadKeyOfTheUserFileIsNamedAtItsLineThere) {
  TempDir dir;
  dir.Write("user/domain.toml",
            "[handlers.Billing]\n"
            "stream = \"orders\"\n"
            "[handlers.Billing.subscription_config]\n"
            "max_retriez = 2\n");
  HandlerCatalog catalog = OrdersCatalog();
  UserDomain user = LoadUserDomain((dir.path() / "user").string(), catalog);
  Scenario s = LoadScenario(kFixture + "/scenarios/declined.toml", &user);
  RunOptions o;
  o.handlers = &catalog;
  config::ConfigurationError e = config::testing::CaptureError([&] { RunScenario(s, o); });
  EXPECT_EQ(e.file, user.file);
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.key_path, "handlers.Billing.subscription_config.max_retriez");
}

TEST(UserDomainTest, OutcomeExpectationPerHandlerAndTypeCanFail) {
  HandlerCatalog catalog = OrdersCatalog();
  UserDomain user = LoadUserDomain(kFixture, catalog);
  Scenario s = LoadScenario(kFixture + "/scenarios/declined.toml", &user);
  s.expect["outcomes"][0]["handled"] = 3;  // Billing handles 2 OrderPlaced
  RunOptions o;
  o.handlers = &catalog;
  RunOutput out = RunScenario(s, o);
  EXPECT_EQ(out.result.failures,
            (std::vector<std::string>{
                "expectations: expect.outcomes Billing OrderPlaced handled = 3, got 2"}));
}

TEST(UserDomainTest, OutcomeExpectationMustNameAHandlerOfTheScenario) {
  TempDir dir;
  auto file = dir.Write("s/x.toml", std::string(kScenarioHead) + kScenarioTail +
                                        "[[expect.outcomes]]\nhandler = \"Biling\"\nhandled = 1\n");
  config::ConfigurationError e = config::testing::CaptureError([&] { LoadScenario(file); });
  EXPECT_EQ(e.key_path, "expect.outcomes[0].handler") << e.what();
}

// Hostile scenario files (found by ci/hostile_inputs.py): refused at load,
// naming the file, the key and the line, before anything walks or runs them.
TEST(ScenarioBoundsTest, DeepDottedKeyIsRefusedBeforeParsing) {
  // 100,000 levels used to overflow the stack (SIGSEGV) after toml++ parsed it.
  TempDir dir;
  std::string deep = "a";
  for (int i = 1; i < 100000; ++i) deep += ".a";
  auto file =
      dir.Write("s/deep.toml", std::string(kScenarioHead) + kScenarioTail + deep + " = 1\n");
  config::ConfigurationError e = config::testing::CaptureError([&] { LoadScenario(file); });
  EXPECT_EQ(e.code, config::kConfigParseError) << e.what();
  EXPECT_EQ(e.file, file.string());
  EXPECT_EQ(e.line, 5u) << e.what();
  EXPECT_NE(std::string(e.what()).find("nest deeper than 64 levels"), std::string::npos)
      << e.what();
}

TEST(ScenarioBoundsTest, FileOverTheSizeBoundIsRefused) {
  TempDir dir;
  auto file = dir.Write("s/big.toml", std::string(kScenarioHead) + kScenarioTail + "# " +
                                          std::string(size_t{5} << 20, 'x') + "\n");
  config::ConfigurationError e = config::testing::CaptureError([&] { LoadScenario(file); });
  EXPECT_EQ(e.code, config::kConfigParseError) << e.what();
  EXPECT_EQ(e.file, file.string());
}

TEST(ScenarioBoundsTest, FaultInstanceMustBeOneTheScenarioStarts) {
  // instance = 2 of 2 instances used to be accepted: the crash never happened.
  TempDir dir;
  const std::string head = std::string(kScenarioHead) + kScenarioTail +
                           "[instances]\ncount = 2\n[phases]\nheal_at_ms = 1000\n";
  const std::string crash = "[[faults]]\nkind = \"consumer_crash\"\nat_ms = 10\ninstance = 2\n";
  auto file = dir.Write("s/crash.toml", head + crash);
  config::ConfigurationError e = config::testing::CaptureError([&] { LoadScenario(file); });
  EXPECT_EQ(e.key_path, "faults[0].instance") << e.what();
  EXPECT_EQ(e.line, 12u) << e.what();
  EXPECT_NE(std::string(e.what()).find("2 instances"), std::string::npos) << e.what();
  // An add_worker fault starts instance 2, listed before or after the crash.
  Scenario s = LoadScenario(
      dir.Write("s/added.toml", head + crash + "[[faults]]\nkind = \"add_worker\"\nat_ms = 5\n"));
  EXPECT_EQ(s.faults.size(), 2u);
}

TEST(ScenarioBoundsTest, MillisecondKeysStopAtTheDurationBound) {
  // INT64_MAX ms used to overflow on the way to microseconds: a workload at
  // INT64_MAX was published at once, a heal_at_ms of INT64_MAX ended the run at -1 ms.
  TempDir dir;
  const std::string max = "9223372036854775807";
  struct Case {
    std::string text, key_path;
  };
  for (const Case& c : std::vector<Case>{
           {std::string(kScenarioHead) + "at_ms = " + max + "\n" + kScenarioTail,
            "workload[0].at_ms"},
           {std::string(kScenarioHead) + "interval_ms = [0, " + max + "]\n" + kScenarioTail,
            "workload[0].interval_ms"},
           {std::string(kScenarioHead) + kScenarioTail + "[phases]\nheal_at_ms = " + max + "\n",
            "phases.heal_at_ms"},
           {std::string(kScenarioHead) + kScenarioTail + "[phases]\nconverge_within_ms = " + max +
                "\n",
            "phases.converge_within_ms"}}) {
    auto file = dir.Write("s/ms.toml", c.text);
    config::ConfigurationError e = config::testing::CaptureError([&] { LoadScenario(file); });
    EXPECT_EQ(e.key_path, c.key_path) << e.what();
    EXPECT_NE(std::string(e.what()).find("1000000000000"), std::string::npos) << e.what();
  }
  // The bound itself (1e9 s) is accepted.
  Scenario s = LoadScenario(dir.Write(
      "s/ok.toml", std::string(kScenarioHead) + "at_ms = 1000000000000\n" + kScenarioTail));
  EXPECT_EQ(s.workload.at(0).at_ms.hi, 1000000000000);
}

}  // namespace
}  // namespace protean::harness
