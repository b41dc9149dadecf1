#include "core/config/check.h"

#include <gtest/gtest.h>

#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::ParseText;
using testing::TempDir;

std::vector<std::string> Codes(const CheckReport& report) {
  std::vector<std::string> codes;
  for (const Finding& f : report.findings) codes.push_back(f.code);
  return codes;
}

constexpr std::string_view kLowPool = R"(
[databases.default]
provider = "postgresql"
database_uri = "postgresql://h/db"
pool_size = 2
)";

TEST(CheckTest, CleanConfigPasses) {
  CheckReport report = RunChecks(ParseText(""), CheckOptions{});
  EXPECT_TRUE(report.findings.empty());
  EXPECT_EQ(report.Status(), "pass");
  EXPECT_EQ(report.ExitCode(), 0);
  EXPECT_EQ(report.domain, "domain.toml");
}

TEST(CheckTest, LowPoolSizeWarnsOutsideRelaxedEnvironments) {
  for (std::string env : {"", "production", "staging"}) {
    CheckReport report = RunChecks(ParseText(kLowPool, {}, env), CheckOptions{});
    auto low = std::find_if(report.findings.begin(), report.findings.end(),
                            [](const Finding& f) { return f.code == "LOW_POOL_SIZE"; });
    ASSERT_NE(low, report.findings.end()) << env;
    const Finding& f = *low;
    EXPECT_EQ(f.level, FindingLevel::kWarning);
    EXPECT_EQ(f.key_path, "databases.default.pool_size");
    EXPECT_EQ(f.file, "domain.toml");
    EXPECT_EQ(f.line, 5u);
    EXPECT_EQ(f.column, 13u);
    EXPECT_NE(f.message.find("pool_size 2"), std::string::npos);
    EXPECT_EQ(report.ExitCode(), 1);
    EXPECT_EQ(report.Status(), "fail");
  }
}

TEST(CheckTest, LowPoolSizeIsSkippedForDevelopmentAndTestEnvironments) {
  for (std::string env : {"development", "dev", "test", "testing", "memory"}) {
    CheckReport report = RunChecks(ParseText(kLowPool, {}, env), CheckOptions{});
    for (const Finding& f : report.findings) EXPECT_NE(f.code, "LOW_POOL_SIZE") << env;
    EXPECT_EQ(report.ExitCode(), 0) << env;  // ENV_OVERLAY_MISSING is only info
  }
}

TEST(CheckTest, LowPoolSizeOnlyForPooledSqlProviders) {
  CheckReport report = RunChecks(ParseText(R"(
[databases.default]
provider = "postgresql"
database_uri = "postgresql://h/db"
pool_size = 5
[databases.local]
provider = "sqlite"
database_uri = "sqlite:///x"
pool_size = 1
[databases.mem]
provider = "memory"
pool_size = 1
)"),
                                 CheckOptions{});
  EXPECT_TRUE(report.findings.empty());
}

constexpr std::string_view kBigPools = R"(
[databases.default]
provider = "postgresql"
database_uri = "postgresql://h/db"
pool_size = 10
max_overflow = 20
)";

TEST(CheckTest, ConnectionBudget) {
  CheckOptions four;
  four.workers = 4;
  CheckReport report = RunChecks(ParseText(kBigPools), four);
  ASSERT_EQ(Codes(report), std::vector<std::string>{"CONNECTION_BUDGET_EXCEEDED"});
  EXPECT_EQ(report.findings[0].level, FindingLevel::kWarning);
  EXPECT_EQ(report.findings[0].key_path, "databases");
  EXPECT_NE(report.findings[0].message.find("= 120"), std::string::npos)
      << report.findings[0].message;
  EXPECT_NE(report.findings[0].message.find("max_connections 100"), std::string::npos);
  EXPECT_EQ(report.ExitCode(), 1);

  CheckOptions three;
  three.workers = 3;  // 90 <= 100
  EXPECT_TRUE(RunChecks(ParseText(kBigPools), three).findings.empty());
  EXPECT_TRUE(RunChecks(ParseText(kBigPools), CheckOptions{}).findings.empty());  // 1 worker
}

TEST(CheckTest, ConnectionBudgetUsesServerWorkersAndSumsDatabases) {
  std::string text = std::string(kBigPools) + R"(
[databases.reports]
provider = "postgresql"
database_uri = "postgresql://h/reports"
[server]
workers = 3
)";
  // 3 x ((10 + 20) + (5 + 10)) = 135
  CheckReport report = RunChecks(ParseText(text), CheckOptions{});
  ASSERT_EQ(Codes(report), std::vector<std::string>{"CONNECTION_BUDGET_EXCEEDED"});
  EXPECT_NE(report.findings[0].message.find("= 135"), std::string::npos);
  CheckOptions one;
  one.workers = 1;  // --workers wins over [server].workers
  EXPECT_TRUE(RunChecks(ParseText(text), one).findings.empty());
  CheckOptions small_server;
  small_server.workers = 1;
  small_server.database_max_connections = 40;
  EXPECT_EQ(Codes(RunChecks(ParseText(text), small_server)),
            std::vector<std::string>{"CONNECTION_BUDGET_EXCEEDED"});
}

TEST(CheckTest, MemoryProvidersInProductionWarn) {
  CheckReport report =
      RunChecks(ParseText("[production]\ndebug = false\n", {}, "production"), CheckOptions{});
  EXPECT_EQ(Codes(report), (std::vector<std::string>{"MEMORY_PROVIDER_IN_PRODUCTION",
                                                     "MEMORY_PROVIDER_IN_PRODUCTION",
                                                     "MEMORY_PROVIDER_IN_PRODUCTION"}));
  EXPECT_EQ(report.findings[0].key_path, "databases.default.provider");
  EXPECT_EQ(report.findings[1].key_path, "brokers.default.provider");
  EXPECT_EQ(report.findings[2].key_path, "event_store.provider");
}

TEST(CheckTest, UnknownTopLevelKeysAndMisspeltSections) {
  CheckReport report = RunChecks(ParseText(R"(debgu = true
[databse.default]
provider = "memory"
[staging]
debug = false
[qa]
debug = false
)"),
                                 CheckOptions{});
  ASSERT_EQ(Codes(report), (std::vector<std::string>{"CONFIG_UNKNOWN_KEY", "CONFIG_UNKNOWN_KEY"}));
  EXPECT_EQ(report.findings[0].key_path, "debgu");
  EXPECT_EQ(report.findings[0].line, 1u);
  EXPECT_NE(report.findings[0].message.find("did you mean 'debug'?"), std::string::npos);
  EXPECT_EQ(report.findings[1].key_path, "databse");
  EXPECT_NE(report.findings[1].message.find("did you mean 'databases'?"), std::string::npos);
  EXPECT_EQ(report.ExitCode(), 1);
}

TEST(CheckTest, MissingOverlayIsInformational) {
  CheckReport report = RunChecks(ParseText("", {}, "staging"), CheckOptions{});
  ASSERT_EQ(Codes(report), std::vector<std::string>{"ENV_OVERLAY_MISSING"});
  EXPECT_EQ(report.findings[0].level, FindingLevel::kInfo);
  EXPECT_EQ(report.Count(FindingLevel::kInfo), 1);
  EXPECT_EQ(report.ExitCode(), 0);
  EXPECT_EQ(report.env, "staging");
}

TEST(CheckTest, LintLevelMovesTheFailFloor) {
  std::string errors_only = std::string(kLowPool) + "[lint]\nlevel = \"error\"\n";
  CheckReport report = RunChecks(ParseText(errors_only), CheckOptions{});
  EXPECT_EQ(report.Count(FindingLevel::kWarning), 1);
  EXPECT_EQ(report.ExitCode(), 0);
  CheckReport strict =
      RunChecks(ParseText("[lint]\nlevel = \"info\"\n", {}, "staging"), CheckOptions{});
  EXPECT_EQ(strict.ExitCode(), 1);
}

TEST(CheckTest, LoadErrorsBecomeErrorFindingsAndExitTwo) {
  TempDir dir;
  dir.Write("d/domain.toml", "[brokers.default]\nprovider = \"redis\"\nURI = \"${REDIS_URL}\"\n");
  LoadOptions load;
  load.path = dir.path() / "d";
  load.env_lookup = testing::FakeEnv();
  CheckReport report = CheckDomain(load, CheckOptions{});
  EXPECT_TRUE(report.load_failed);
  ASSERT_EQ(Codes(report), std::vector<std::string>{"CONFIG_UNRESOLVED_ENV_VAR"});
  const Finding& f = report.findings[0];
  EXPECT_EQ(f.level, FindingLevel::kError);
  EXPECT_EQ(f.key_path, "brokers.default.URI");
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.column, 7u);
  EXPECT_EQ(f.file, (dir.path() / "d" / "domain.toml").string());
  EXPECT_EQ(report.Status(), "error");
  EXPECT_EQ(report.ExitCode(), 2);

  load.path = dir.path() / "missing";
  CheckReport missing = CheckDomain(load, CheckOptions{});
  EXPECT_EQ(Codes(missing), std::vector<std::string>{"CONFIG_NOT_FOUND"});
  EXPECT_EQ(missing.ExitCode(), 2);
}

TEST(CheckTest, CheckDomainRunsTheRulesWhenTheConfigLoads) {
  TempDir dir;
  dir.Write("d/domain.toml", kLowPool);
  LoadOptions load;
  load.path = dir.path() / "d";
  load.env_lookup = testing::FakeEnv({{"PROTEAN_ENV", "production"}});
  CheckReport report = CheckDomain(load, CheckOptions{});
  EXPECT_FALSE(report.load_failed);
  EXPECT_EQ(report.env, "production");
  EXPECT_EQ(Codes(report), (std::vector<std::string>{"ENV_OVERLAY_MISSING", "LOW_POOL_SIZE",
                                                     "MEMORY_PROVIDER_IN_PRODUCTION",
                                                     "MEMORY_PROVIDER_IN_PRODUCTION"}));
  EXPECT_EQ(report.ExitCode(), 1);
}

TEST(CheckTest, FindingFromErrorCopiesTheError) {
  ConfigurationError e(kConfigUnknownProvider,
                       ErrorLocation{"f.toml", "event_store.provider", 4, 12},
                       "unknown event store provider");
  Finding f = FindingFromError(e);
  EXPECT_EQ(f.code, "CONFIG_UNKNOWN_PROVIDER");
  EXPECT_EQ(f.level, FindingLevel::kError);
  EXPECT_EQ(f.key_path, "event_store.provider");
  EXPECT_EQ(f.file, "f.toml");
  EXPECT_EQ(f.line, 4u);
  EXPECT_EQ(f.column, 12u);
  EXPECT_EQ(FindingLevelName(FindingLevel::kWarning), "warning");
}

}  // namespace
}  // namespace protean::config
