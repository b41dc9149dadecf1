// The `protean` CLI: command functions in-process (with an injected
// environment) and the real binary end to end (with `env -i`, so the
// process environment of the test run cannot leak in).

#include <sys/wait.h>

#include <cstdio>
#include <sstream>

#include <gtest/gtest.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "app/check_command.h"
#include "app/check_format.h"
#include "app/cli.h"
#include "app/config_command.h"
#include "tests/config/binary_util.h"
#include "tests/config/test_util.h"

namespace protean::cli {
namespace {

using config::testing::FakeEnv;
using config::testing::ReadFile;
using config::testing::TempDir;
using testing::RunBinary;
using testing::RunInProcess;
using testing::RunResult;

const std::string kSeed002 = PROTEAN_SOURCE_DIR "/tests/config/fixtures/seed002";
const std::string kSeed002Overlays = PROTEAN_SOURCE_DIR "/tests/config/fixtures/seed002_overlays";
const std::string kExamples = PROTEAN_SOURCE_DIR "/examples";

size_t LineCount(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(ConfigShowTest, PrintsResolvedRedactedJson) {
  ConfigShowOptions options;
  options.domain = kSeed002;
  options.env = "production";
  options.env_lookup = FakeEnv({{"DATABASE_URL", "postgresql://app:s3cret@db:5432/orders"},
                                {"REDIS_URL", "redis://:hunter2@cache:6379/0"},
                                {"MESSAGEDB_URL", "postgresql://message_store@store:5433/ms"}});
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(RunConfigShow(options, out, err), 0) << err.str();
  EXPECT_EQ(err.str(), "");
  nlohmann::json json = nlohmann::json::parse(out.str());
  EXPECT_EQ(json["databases"]["default"]["provider"], "postgresql");
  EXPECT_EQ(json["databases"]["default"]["database_uri"], "postgresql://app:***@db:5432/orders");
  EXPECT_EQ(json["brokers"]["default"]["URI"], "redis://:***@cache:6379/0");
  EXPECT_EQ(json["event_store"]["provider"], "message_db");
  EXPECT_EQ(json["caches"]["default"]["TTL"], 300);
  EXPECT_EQ(json["server"]["health"]["port"], 8080);
  EXPECT_EQ(json["debug"], false);
  EXPECT_FALSE(json.contains("production"));
  EXPECT_FALSE(json.contains("test"));
  EXPECT_FALSE(json.contains("memory"));
  EXPECT_EQ(out.str().find("s3cret"), std::string::npos);
  EXPECT_EQ(out.str().find("hunter2"), std::string::npos);
}

TEST(ConfigShowTest, QueryAndKeywordPasswordsAreRedacted) {
  ConfigShowOptions options;
  options.domain = kSeed002;
  options.env = "production";
  options.env_lookup =
      FakeEnv({{"DATABASE_URL", "postgresql://db:5432/orders?sslmode=require&sslpassword=k3y"},
               {"REDIS_URL", "redis://cache:6379/0?password=hunter2&token=t0k"},
               {"MESSAGEDB_URL", "host=store port=5433 password=pg-s3cret dbname=ms"}});
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(RunConfigShow(options, out, err), 0) << err.str();
  nlohmann::json json = nlohmann::json::parse(out.str());
  EXPECT_EQ(json["databases"]["default"]["database_uri"],
            "postgresql://db:5432/orders?sslmode=require&sslpassword=***");
  EXPECT_EQ(json["brokers"]["default"]["URI"], "redis://cache:6379/0?password=***&token=***");
  for (const char* secret : {"k3y", "hunter2", "t0k", "pg-s3cret"}) {
    EXPECT_EQ(out.str().find(secret), std::string::npos) << secret << " in\n" << out.str();
  }
}

TEST(ConfigShowTest, TomlFormatReadsBack) {
  ConfigShowOptions options;
  options.domain = kSeed002;
  options.format = "toml";
  options.env_lookup = FakeEnv();
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(RunConfigShow(options, out, err), 0) << err.str();
  toml::table table = config::testing::ParseToml(out.str());
  EXPECT_EQ(table.at_path("databases.analytics.database_uri").value<std::string>(),
            "{'hosts': ['localhost']}");
  EXPECT_EQ(table["event_processing"].value<std::string>(), "sync");
}

TEST(ConfigShowTest, LoadErrorIsOneLineAndExitTwo) {
  ConfigShowOptions options;
  options.domain = kSeed002Overlays;
  options.env = "production";
  options.env_lookup = FakeEnv();
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunConfigShow(options, out, err), 2);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(LineCount(err.str()), 1u);
  EXPECT_NE(err.str().find("brokers.default.URI"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("REDIS_URL"), std::string::npos);
  EXPECT_NE(err.str().find("[CONFIG_UNRESOLVED_ENV_VAR]"), std::string::npos);
}

TEST(CheckCommandTest, JsonEnvelope) {
  PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS();
  TempDir dir;
  dir.Write("d/domain.toml",
            "[databases.default]\nprovider = \"postgresql\"\ndatabase_uri = \"postgresql://h/d\"\n"
            "pool_size = 1\n");
  CheckCommandOptions options;
  options.domain = (dir.path() / "d").string();
  options.format = "json";
  options.env_lookup = FakeEnv();
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunCheck(options, out, err), 1);
  nlohmann::json json = nlohmann::json::parse(out.str());
  EXPECT_EQ(json["version"], "0.1.0");  // Protean's envelope version
  EXPECT_EQ(json["status"], "fail");
  EXPECT_EQ(json["data"]["domain"], (dir.path() / "d" / "domain.toml").string());
  EXPECT_EQ(json["data"]["status"], "warn");
  ASSERT_EQ(json["diagnostics"].size(), 1u);
  EXPECT_EQ(json["diagnostics"][0]["code"], "LOW_POOL_SIZE");
  EXPECT_EQ(json["diagnostics"][0]["level"], "warning");
  EXPECT_EQ(json["diagnostics"][0]["key_path"], "databases.default.pool_size");
  EXPECT_EQ(json["diagnostics"][0]["line"], 4);
  EXPECT_EQ(json["data"]["counts"], (nlohmann::json{{"errors", 0}, {"warnings", 1}, {"infos", 0}}));
}

TEST(CheckCommandTest, TextOutput) {
  config::CheckReport report;
  report.domain = "d/domain.toml";
  report.findings.push_back(config::Finding{"LOW_POOL_SIZE", config::FindingLevel::kWarning,
                                            "databases.default.pool_size", "too small",
                                            "d/domain.toml", 4, 13});
  EXPECT_EQ(CheckText(report, config::FindingLevel::kInfo, false),
            "d/domain.toml:4:13: warning LOW_POOL_SIZE databases.default.pool_size: too small\n"
            "d/domain.toml: warn (errors=0, warnings=1, infos=0)\n");
  // --level error hides the warning; the status still says the run fails.
  EXPECT_EQ(CheckText(report, config::FindingLevel::kError, false),
            "d/domain.toml: fail (errors=0, warnings=0, infos=0)\n");
  EXPECT_EQ(CheckText(report, config::FindingLevel::kInfo, true),
            "d/domain.toml: warn (errors=0, warnings=1, infos=0)\n");
}

TEST(CliTest, VersionHelpAndUsageErrors) {
  RunResult version = RunInProcess({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "protean 0.2.0\n");
  for (std::vector<const char*> help :
       {std::vector<const char*>{"--help"}, std::vector<const char*>{"check", "--help"},
        std::vector<const char*>{"config", "--help"},
        std::vector<const char*>{"config", "show", "--help"}}) {
    RunResult run = RunInProcess(help);
    EXPECT_EQ(run.exit_code, 0) << help.back();
    EXPECT_NE(run.out.find("Usage:"), std::string::npos) << run.out;
  }
  EXPECT_EQ(RunInProcess({}).exit_code, 2);                              // no subcommand
  EXPECT_EQ(RunInProcess({"config"}).exit_code, 2);                      // no `show`
  EXPECT_EQ(RunInProcess({"check", "--format", "xml"}).exit_code, 2);    // bad value
  EXPECT_EQ(RunInProcess({"check", "--workers", "0"}).exit_code, 2);     // not positive
  EXPECT_EQ(RunInProcess({"check", "--workers", "many"}).exit_code, 2);  // not a number
  EXPECT_EQ(RunInProcess({"check", "--bogus"}).exit_code, 2);            // unknown option
  RunResult bad = RunInProcess({"frobnicate"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(LineCount(bad.err), 1u) << bad.err;
  EXPECT_EQ(bad.err.rfind("protean: error: ", 0), 0u) << bad.err;
}

// ---- The real binary, end to end ----

TEST(ProteanBinaryTest, Version) {
  RunResult run = RunBinary("--version");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "protean 0.2.0\n");
}

TEST(ProteanBinaryTest, CheckExamplesIsCleanWithoutProteanEnv) {
  PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS();
  RunResult run = RunBinary("check --domain '" + kExamples + "'");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(": pass (errors=0, warnings=0, infos=0)"), std::string::npos) << run.out;
  EXPECT_EQ(RunBinary("check --domain '" + kExamples + "' --env production").exit_code, 0);
  EXPECT_EQ(RunBinary("check --domain '" + kExamples + "'", "PROTEAN_ENV=test").exit_code, 0);
}

TEST(ProteanBinaryTest, CheckExitsOneOnWarnings) {
  PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS();
  TempDir dir;
  dir.Write("d/domain.toml",
            "[databases.default]\nprovider = \"postgresql\"\ndatabase_uri = \"postgresql://h/d\"\n"
            "pool_size = 2\n");
  RunResult run = RunBinary("check --domain '" + (dir.path() / "d").string() + "'");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("warning LOW_POOL_SIZE databases.default.pool_size"), std::string::npos)
      << run.out;
  // PROTEAN_ENV=test skips the rule.
  EXPECT_EQ(RunBinary("check --domain '" + (dir.path() / "d").string() + "'", "PROTEAN_ENV=test")
                .exit_code,
            0);
  RunResult budget = RunBinary("check --workers 10 --format json --domain '" +
                               (dir.path() / "d").string() + "' --env test");
  EXPECT_EQ(budget.exit_code, 1);  // 10 x (2 + 10) = 120 > 100
  nlohmann::json diagnostics = nlohmann::json::parse(budget.out)["diagnostics"];
  ASSERT_EQ(diagnostics.size(), 2u) << budget.out;
  EXPECT_EQ(diagnostics[0]["code"], "ENV_OVERLAY_MISSING");  // no [test] table: info
  EXPECT_EQ(diagnostics[1]["code"], "CONNECTION_BUDGET_EXCEEDED");
}

TEST(ProteanBinaryTest, CheckExitsTwoOnLoadErrors) {
  TempDir dir;
  dir.Write("bad/domain.toml", "debug = true\n[server.health\nport = 1\n");
  RunResult run = RunBinary("check --domain '" + (dir.path() / "bad").string() + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(LineCount(run.err), 1u) << run.err;
  EXPECT_NE(run.err.find("domain.toml:2:"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("[CONFIG_PARSE_ERROR]"), std::string::npos);

  RunResult json =
      RunBinary("check --format json --domain '" + (dir.path() / "bad").string() + "'");
  EXPECT_EQ(json.exit_code, 2);
  nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["status"], "error");  // Protean's usage-error envelope
  EXPECT_EQ(report["diagnostics"], nlohmann::json::array());
  EXPECT_NE(report["data"]["error"].get<std::string>().find("[CONFIG_PARSE_ERROR]"),
            std::string::npos)
      << json.out;
  EXPECT_NE(report["data"]["error"].get<std::string>().find("domain.toml:2:"), std::string::npos);

  RunResult missing = RunBinary("check --domain '" + (dir.path() / "nowhere").string() + "'");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("[CONFIG_NOT_FOUND]"), std::string::npos) << missing.err;

  EXPECT_EQ(RunBinary("check --workers 0").exit_code, 2);  // usage error
}

TEST(ProteanBinaryTest, ConfigShowProductionJson) {
  RunResult run = RunBinary("config show --domain '" + kSeed002 + "' --env production",
                            "REDIS_URL=redis://:pw@r:6379/0 MESSAGEDB_URL=postgresql://m@s:5433/ms "
                            "ES_HOST=es.internal");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["databases"]["default"]["database_uri"], "postgresql://localhost:5432/myapp");
  EXPECT_EQ(json["databases"]["analytics"]["database_uri"], "{'hosts': ['es.internal']}");
  EXPECT_EQ(json["brokers"]["default"]["URI"], "redis://:***@r:6379/0");
  EXPECT_EQ(json["caches"]["default"]["provider"], "redis");
  EXPECT_EQ(json["event_store"]["database_uri"], "postgresql://m@s:5433/ms");
  EXPECT_FALSE(json.contains("production"));

  // PROTEAN_ENV is honoured, and --env overrides it.
  RunResult via_env = RunBinary("config show --domain '" + kSeed002 + "'", "PROTEAN_ENV=test");
  ASSERT_EQ(via_env.exit_code, 0) << via_env.err;
  EXPECT_EQ(nlohmann::json::parse(via_env.out)["testing"], true);
  RunResult overridden =
      RunBinary("config show --domain '" + kSeed002 + "' --env memory", "PROTEAN_ENV=production");
  ASSERT_EQ(overridden.exit_code, 0) << overridden.err;
  EXPECT_EQ(nlohmann::json::parse(overridden.out)["databases"]["default"]["provider"], "memory");
}

TEST(ProteanBinaryTest, ConfigShowWithoutAnyVariableUsesTheDefaults) {
  RunResult run = RunBinary("config show --domain '" + kSeed002 + "' --env production");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["brokers"]["default"]["URI"], "redis://localhost:6379/0");
  EXPECT_EQ(json["caches"]["default"]["URI"], "redis://localhost:6379/2");
}

TEST(ProteanBinaryTest, ConfigShowMissingVariableExitsTwo) {
  RunResult run =
      RunBinary("config show --domain '" + kSeed002Overlays + "'", "PROTEAN_ENV=production");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(LineCount(run.err), 1u) << run.err;
  EXPECT_NE(run.err.find("REDIS_URL"), std::string::npos);
  EXPECT_NE(run.err.find("brokers.default.URI"), std::string::npos);
}

// ---- protean subscriptions status / protean dlq in memory mode ----

TEST(SubscriptionsStatusTest, InProcessAdaptersAreUnknownAndSayWhy) {
  TempDir dir;
  dir.Write("d/domain.toml",
            "[handlers.Billing]\nstream = \"orders\"\n"
            "[handlers.History]\nstream = \"order\"\n"
            "[handlers.History.subscription_config]\nsubscription_type = \"event_store\"\n");
  const std::string domain = (dir.path() / "d").string();
  RunResult table = RunInProcess({"subscriptions", "status", "--domain", domain.c_str()});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Subscriptions \u2014 "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("Handler  Type         Stream  Lag  Lag (s)  Pending  DLQ  Consumers  "
                           "Status\n"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("Billing  stream       orders    -        -        0    -          -  "
                           "unknown\n"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("\n2 subscription(s), 2 unknown\n"), std::string::npos) << table.out;
  EXPECT_NE(table.err.find("Billing: brokers.default (inline) lives inside the server process"),
            std::string::npos)
      << table.err;
  EXPECT_NE(table.err.find("History: the event store (memory) lives inside the server process"),
            std::string::npos)
      << table.err;

  RunResult json_run =
      RunInProcess({"subscriptions", "status", "--json", "--domain", domain.c_str()});
  ASSERT_EQ(json_run.exit_code, 0);
  nlohmann::json envelope = nlohmann::json::parse(json_run.out);
  EXPECT_EQ(envelope["version"], "0.1.0");
  EXPECT_EQ(envelope["status"], "pass");
  const nlohmann::json& rows = envelope["data"]["subscriptions"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["name"], "Billing");
  EXPECT_EQ(rows[0]["subscription_type"], "stream");
  EXPECT_EQ(rows[0]["status"], "unknown");
  EXPECT_TRUE(rows[0]["lag"].is_null());
  EXPECT_EQ(rows[1]["subscription_type"], "event_store");
  EXPECT_EQ(rows[1]["stream_category"], "order");

  dir.Write("empty/domain.toml", "debug = false\n");
  const std::string empty = (dir.path() / "empty").string();
  RunResult none = RunInProcess({"subscriptions", "status", "--domain", empty.c_str()});
  EXPECT_EQ(none.out, "No subscriptions found in domain.\n");
  EXPECT_EQ(RunInProcess({"subscriptions", "status", "--domain", "/nowhere"}).exit_code, 2);
}

TEST(DlqCommandTest, MemoryBrokerDlqsAreEmptyAndReplayAllNeedsASubscription) {
  TempDir dir;
  dir.Write("d/domain.toml", "[handlers.Billing]\nstream = \"orders\"\n");
  const std::string domain = (dir.path() / "d").string();
  RunResult list = RunInProcess({"dlq", "list", "--domain", domain.c_str()});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out, "No DLQ messages found.\n");
  RunResult inspect = RunInProcess({"dlq", "inspect", "1-0", "--domain", domain.c_str()});
  EXPECT_EQ(inspect.exit_code, 1);
  EXPECT_NE(inspect.err.find("DLQ message '1-0' not found."), std::string::npos) << inspect.err;
  EXPECT_EQ(RunInProcess({"dlq", "replay-all", "-y", "--domain", domain.c_str()}).exit_code, 2);
  RunResult purge =
      RunInProcess({"dlq", "purge", "-y", "--subscription", "orders", "--domain", domain.c_str()});
  EXPECT_EQ(purge.out, "Purged 0 message(s) from DLQ.\n") << purge.err;
  dir.Write("none/domain.toml", "debug = false\n");
  const std::string none = (dir.path() / "none").string();
  EXPECT_EQ(RunInProcess({"dlq", "list", "--domain", none.c_str()}).out,
            "No subscriptions found in domain.\n");
}

}  // namespace
}  // namespace protean::cli
