// protean-harness run, end to end on the binary: --shard K/N (the shards of
// a run are disjoint, together they are the whole run, each writes its own
// JUnit report, the split is the same every time) and --domain over a
// project whose handlers this binary does not have.
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/config/test_util.h"

namespace protean::harness {
namespace {

using config::testing::TempDir;

// The case names of a JUnit report.
std::multiset<std::string> CasesOf(const std::string& junit) {
  std::ifstream in(junit);
  std::stringstream text;
  text << in.rdbuf();
  const std::string xml = text.str();
  std::multiset<std::string> out;
  const std::regex testcase(R"re(<testcase classname="([^"]*)" name="([^"]*)")re");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), testcase);
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1].str() + "/" + (*it)[2].str());
  }
  return out;
}

// Runs the harness over the retries suite, 2 seeds each; returns its exit code.
int RunHarness(const std::string& junit, const std::string& shard) {
  std::string command = std::string(PROTEAN_HARNESS_PATH) +
                        " run " PROTEAN_SOURCE_DIR
                        "/scenarios/retries --protean-env memory --seeds 2 --junit " +
                        junit;
  if (!shard.empty()) command += " --shard " + shard;
  command += " >/dev/null 2>&1";
  return std::system(command.c_str());
}

TEST(HarnessShardTest, ShardsPartitionTheRun) {
  TempDir dir;
  const std::string all = (dir.path() / "all.xml").string();
  ASSERT_EQ(RunHarness(all, ""), 0);
  std::multiset<std::string> whole = CasesOf(all);
  ASSERT_GE(whole.size(), 6u);
  std::multiset<std::string> joined;
  for (int k = 1; k <= 3; ++k) {
    const std::string part = (dir.path() / ("shard-" + std::to_string(k) + ".xml")).string();
    ASSERT_EQ(RunHarness(part, std::to_string(k) + "/3"), 0) << k;
    std::multiset<std::string> cases = CasesOf(part);
    EXPECT_FALSE(cases.empty()) << k;
    EXPECT_LE(cases.size(), whole.size() / 3 + 1) << k;  // round-robin: even shares
    joined.insert(cases.begin(), cases.end());
    // Deterministic: the same shard again holds the same cases.
    ASSERT_EQ(RunHarness(part, std::to_string(k) + "/3"), 0) << k;
    EXPECT_EQ(CasesOf(part), cases) << k;
  }
  EXPECT_EQ(joined, whole);
}

TEST(HarnessShardTest, BadShardIsAUsageError) {
  TempDir dir;
  EXPECT_NE(RunHarness((dir.path() / "x.xml").string(), "4/3"), 0);
}

TEST(HarnessDomainTest, HandlersWithoutCppFunctionsAreNamed) {
  TempDir dir;
  const std::string err = (dir.path() / "err.txt").string();
  const std::string fixture = PROTEAN_SOURCE_DIR "/tests/harness/fixtures/user_domain";
  const std::string command = std::string(PROTEAN_HARNESS_PATH) + " run " + fixture +
                              "/scenarios --domain " + fixture + " >/dev/null 2>" + err;
  // The stock binary has no C++ Billing: the fixture's declined orders are
  // handled, so the scenario's expectations fail, and the note says why.
  EXPECT_NE(std::system(command.c_str()), 0);
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("no C++ handler of this binary is named Billing; they run as "
                            "scripted handlers"),
            std::string::npos)
      << text.str();
}

// A configuration error in a scenario's [domain] or [handlers] names the
// scenario file's own line (the loader reads a copy of those tables, which
// once gave the line of a re-serialised document instead).
TEST(HarnessDomainTest, ConfigurationErrorsNameTheScenarioFilesLine) {
  TempDir dir;
  const std::string file = (dir.path() / "typo.toml").string();
  const std::string out = (dir.path() / "out.txt").string();
  for (const auto& [table, line] : std::vector<std::pair<std::string, int>>{
           {"[domain.server]\ndrain_timeot = 5\n", 6},
           {"[handlers.A.subscription_config]\nmax_retriez = 3\n", 6}}) {
    std::ofstream(file) << "[scenario]\nname = \"typo\"\ndescription = \"x\"\n\n"
                        << table
                        << "\n[handlers.A]\nstream = \"s\"\n\n"
                           "[[workload]]\nat_ms = 0\nstream = \"s\"\ncount = 1\ntype = \"T\"\n\n"
                           "[expect]\nhandled = 1\n";
    const std::string command =
        std::string(PROTEAN_HARNESS_PATH) + " run " + file + " >" + out + " 2>&1";
    EXPECT_NE(std::system(command.c_str()), 0) << table;
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find(file + ":" + std::to_string(line) + ":"), std::string::npos)
        << table << text.str();
  }
}

}  // namespace
}  // namespace protean::harness
