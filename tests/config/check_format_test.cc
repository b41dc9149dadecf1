// `protean check --format json|sarif|github-annotations|text`, --level and
// --quiet, through the built binary: Protean's envelope, a SARIF 2.1.0
// document whose structure is validated here, GitHub workflow commands, and
// exit codes that no format or display option changes.

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/config/check_catalogue.h"
#include "tests/config/binary_util.h"
#include "tests/config/test_util.h"

namespace protean::cli {
namespace {

using config::testing::TempDir;
using nlohmann::json;
using testing::RunBinary;
using testing::RunResult;

// d/domain.toml with a warning at 1:1 (CONFIG_UNKNOWN_KEY) and one at 6:13
// (LOW_POOL_SIZE); --env staging adds an info without a line
// (ENV_OVERLAY_MISSING).
class CheckFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("d/domain.toml",
               "debgu = true\n\n[databases.default]\nprovider = \"postgresql\"\n"
               "database_uri = \"postgresql://h/d\"\npool_size = 2\n");
  }
  RunResult Check(const std::string& args) {
    return RunBinary("check --env staging --domain " + testing::ShellQuote(Folder()) + " " + args,
                     "GITHUB_WORKSPACE=" + testing::ShellQuote(dir_.path().string()));
  }
  std::string Folder() const { return (dir_.path() / "d").string(); }
  TempDir dir_;
};

TEST_F(CheckFormatTest, JsonIsProteansEnvelope) {
  PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS();
  RunResult run = Check("--format json");
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  // json.dumps(envelope, indent=2, sort_keys=True): "data" is the first key.
  EXPECT_EQ(run.out.rfind("{\n  \"data\": {\n", 0), 0u) << run.out;
  json envelope = json::parse(run.out);
  std::set<std::string> keys;
  for (auto& [k, v] : envelope.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"version", "status", "data", "diagnostics"}));
  EXPECT_EQ(envelope["version"], "0.1.0");
  EXPECT_EQ(envelope["status"], "fail");
  EXPECT_EQ(envelope["data"]["status"], "warn");
  EXPECT_EQ(envelope["data"]["errors"], json::array());
  EXPECT_EQ(envelope["data"]["counts"], (json{{"errors", 0}, {"warnings", 2}, {"infos", 1}}));
  ASSERT_EQ(envelope["diagnostics"].size(), 3u) << run.out;
  for (const json& d : envelope["diagnostics"]) {
    for (const char* key : {"code", "category", "element", "level", "message", "suggestion"}) {
      EXPECT_TRUE(d[key].is_string()) << key << " in " << d.dump();
    }
    EXPECT_FALSE(d["rule"]["rationale"].get<std::string>().empty()) << d.dump();
    EXPECT_EQ(d["suggestion"], d["rule"]["fix"]);
  }
  const json* pool = nullptr;
  for (const json& d : envelope["diagnostics"]) {
    if (d["code"] == "LOW_POOL_SIZE") pool = &d;
  }
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ((*pool)["category"], "persistence");  // Protean's category for its code
  EXPECT_EQ((*pool)["element"], "databases.default.pool_size");
  EXPECT_EQ((*pool)["line"], 6);
  EXPECT_EQ((*pool)["column"], 13);
  EXPECT_EQ((*pool)["location"], Folder() + "/domain.toml:6:13");
}

// The structure GitHub Code Scanning reads, per SARIF 2.1.0.
void ExpectValidSarif(const json& sarif, const std::string& uri) {
  EXPECT_EQ(sarif["version"], "2.1.0");
  EXPECT_EQ(sarif["$schema"],
            "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/"
            "sarif-schema-2.1.0.json");
  ASSERT_TRUE(sarif["runs"].is_array());
  ASSERT_EQ(sarif["runs"].size(), 1u);
  const json& run = sarif["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "protean");
  EXPECT_TRUE(run["tool"]["driver"]["version"].is_string());
  std::set<std::string> rule_ids;
  for (const json& rule : run["tool"]["driver"]["rules"]) {
    EXPECT_TRUE(rule_ids.insert(rule["id"].get<std::string>()).second) << "duplicate rule";
    EXPECT_FALSE(rule["shortDescription"]["text"].get<std::string>().empty());
  }
  ASSERT_TRUE(run["results"].is_array());
  for (const json& r : run["results"]) {
    EXPECT_TRUE(rule_ids.contains(r["ruleId"].get<std::string>())) << r.dump();
    const std::string level = r["level"];
    EXPECT_TRUE(level == "error" || level == "warning" || level == "note") << level;
    EXPECT_FALSE(r["message"]["text"].get<std::string>().empty());
    ASSERT_TRUE(r["locations"].is_array());
    for (const json& loc : r["locations"]) {
      EXPECT_EQ(loc["physicalLocation"]["artifactLocation"]["uri"], uri);
      if (loc["physicalLocation"].contains("region")) {
        EXPECT_GE(loc["physicalLocation"]["region"]["startLine"].get<int>(), 1);
        if (loc["physicalLocation"]["region"].contains("startColumn")) {
          EXPECT_GE(loc["physicalLocation"]["region"]["startColumn"].get<int>(), 1);
        }
      }
    }
  }
}

TEST_F(CheckFormatTest, SarifIsValidWithFileLineAndColumn) {
  PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS();
  RunResult run = Check("--format sarif");
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  json sarif = json::parse(run.out);
  ExpectValidSarif(sarif, "d/domain.toml");  // relative to GITHUB_WORKSPACE
  const json& results = sarif["runs"][0]["results"];
  ASSERT_EQ(results.size(), 3u);
  bool pool = false;
  for (const json& r : results) {
    if (r["ruleId"] != "LOW_POOL_SIZE") continue;
    pool = true;
    EXPECT_EQ(r["level"], "warning");
    const json& region = r["locations"][0]["physicalLocation"]["region"];
    EXPECT_EQ(region["startLine"], 6);
    EXPECT_EQ(region["startColumn"], 13);
  }
  EXPECT_TRUE(pool);
  EXPECT_EQ(sarif["runs"][0]["tool"]["driver"]["rules"].size(), 3u);
}

TEST_F(CheckFormatTest, GithubAnnotations) {
  PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS();
  RunResult run = Check("--format github-annotations");
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("::warning file=d/domain.toml,line=6,col=13,title=LOW_POOL_SIZE::"
                         "RULE [LOW_POOL_SIZE] databases.default.pool_size: database 'default'"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("::warning file=d/domain.toml,line=1,col="), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("::notice file=d/domain.toml,title=ENV_OVERLAY_MISSING::"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 3);
}

TEST_F(CheckFormatTest, LevelAndQuietShapeOnlyTheText) {
  PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS();
  RunResult all = Check("");
  EXPECT_EQ(all.exit_code, 1);
  EXPECT_NE(all.out.find("info ENV_OVERLAY_MISSING"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find(": warn (errors=0, warnings=2, infos=1)\n"), std::string::npos);
  RunResult warnings = Check("--level warning");
  EXPECT_EQ(warnings.exit_code, 1);
  EXPECT_EQ(warnings.out.find("ENV_OVERLAY_MISSING"), std::string::npos) << warnings.out;
  EXPECT_NE(warnings.out.find(": warn (errors=0, warnings=2, infos=0)\n"), std::string::npos);
  RunResult errors = Check("-l error");
  EXPECT_EQ(errors.exit_code, 1);  // --level never changes the exit code
  EXPECT_EQ(errors.out.find("LOW_POOL_SIZE"), std::string::npos);
  EXPECT_NE(errors.out.find(": fail (errors=0, warnings=0, infos=0)\n"), std::string::npos)
      << errors.out;
  RunResult quiet = Check("--quiet");
  EXPECT_EQ(quiet.exit_code, 1);
  EXPECT_EQ(std::count(quiet.out.begin(), quiet.out.end(), '\n'), 1) << quiet.out;
  EXPECT_EQ(quiet.out, Folder() + "/domain.toml: warn (errors=0, warnings=2, infos=1)\n");
  // Machine formats are never filtered.
  EXPECT_EQ(json::parse(Check("--level error --format json").out)["diagnostics"].size(), 3u);
  EXPECT_EQ(Check("--format rich").out, all.out);  // Protean's default name
  EXPECT_EQ(Check("--format xml").exit_code, 2);
  EXPECT_EQ(Check("--level bogus").exit_code, 2);
}

TEST_F(CheckFormatTest, LoadErrorInEveryFormat) {
  dir_.Write("bad/domain.toml", "debug = true\n[server.health\nport = 1\n");
  const std::string args = "check --domain " + testing::ShellQuote((dir_.path() / "bad").string());
  const std::string env = "GITHUB_WORKSPACE=" + testing::ShellQuote(dir_.path().string());
  RunResult json_run = RunBinary(args + " --format json", env);
  EXPECT_EQ(json_run.exit_code, 2);
  json envelope = json::parse(json_run.out);
  EXPECT_EQ(envelope["status"], "error");
  EXPECT_NE(envelope["data"]["error"].get<std::string>().find("[CONFIG_PARSE_ERROR]"),
            std::string::npos);
  RunResult sarif_run = RunBinary(args + " --format sarif", env);
  EXPECT_EQ(sarif_run.exit_code, 2);
  json sarif = json::parse(sarif_run.out);
  ExpectValidSarif(sarif, "bad/domain.toml");
  ASSERT_EQ(sarif["runs"][0]["results"].size(), 1u);
  EXPECT_EQ(sarif["runs"][0]["results"][0]["ruleId"], "CONFIG_PARSE_ERROR");
  EXPECT_EQ(sarif["runs"][0]["results"][0]["level"], "error");
  EXPECT_EQ(
      sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
  RunResult annotations = RunBinary(args + " --format github-annotations", env);
  EXPECT_EQ(annotations.exit_code, 2);
  EXPECT_EQ(annotations.out.rfind("::error file=bad/domain.toml,line=2,", 0), 0u)
      << annotations.out;
  EXPECT_NE(annotations.out.find("title=CONFIG_PARSE_ERROR::RULE [CONFIG_PARSE_ERROR]"),
            std::string::npos);
}

// An error-level finding (the server would refuse it) in a configuration that
// loads: data.errors in the envelope (Protean's validator errors), status
// "error" and exit 2 as before; SARIF level error; ::error.
TEST_F(CheckFormatTest, ErrorFindingsAreDataErrors) {
  dir_.Write("e/domain.toml", "[server.dlq]\nenabled = true\nalert_callback = \"myapp.on_dlq\"\n");
  const std::string args = "check --domain " + testing::ShellQuote((dir_.path() / "e").string());
  const std::string env = "GITHUB_WORKSPACE=" + testing::ShellQuote(dir_.path().string());
  RunResult run = RunBinary(args + " --format json", env);
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  json envelope = json::parse(run.out);
  EXPECT_EQ(envelope["status"], "error");
  EXPECT_EQ(envelope["data"]["status"], "fail");
  EXPECT_EQ(envelope["data"]["counts"]["errors"], 1);
  ASSERT_EQ(envelope["data"]["errors"].size(), 1u) << run.out;
  const json& error = envelope["data"]["errors"][0];
  EXPECT_EQ(error["code"], "CONFIG_INVALID_VALUE");
  EXPECT_EQ(error["level"], "error");
  EXPECT_EQ(error["element"], "server.dlq.alert_callback");
  EXPECT_EQ(error["line"], 3);
  for (const json& d : envelope["diagnostics"]) EXPECT_NE(d["level"], "error") << d.dump();
  RunResult sarif = RunBinary(args + " --format sarif", env);
  EXPECT_EQ(sarif.exit_code, 2);
  json doc = json::parse(sarif.out);
  ExpectValidSarif(doc, "e/domain.toml");
  bool error_result = false;
  for (const json& r : doc["runs"][0]["results"]) {
    if (r["ruleId"] == "CONFIG_INVALID_VALUE") error_result = r["level"] == "error";
  }
  EXPECT_TRUE(error_result) << sarif.out;
  RunResult annotations = RunBinary(args + " --format github-annotations", env);
  EXPECT_EQ(annotations.exit_code, 2);
  EXPECT_NE(annotations.out.find("::error file=e/domain.toml,line=3,"), std::string::npos)
      << annotations.out;
}

TEST(CheckCatalogueTest, EveryCodeOfCheckHasItsRule) {
  for (const char* code :
       {"LOW_POOL_SIZE", "CONNECTION_BUDGET_EXCEEDED", "MEMORY_PROVIDER_IN_PRODUCTION",
        "CONFIG_UNKNOWN_KEY", "ENV_OVERLAY_MISSING", "EVENT_STORE_MULTI_WORKER",
        "CONFIG_UNKNOWN_PROVIDER", "CONFIG_INVALID_VALUE", "UNSUPPORTED_KEY", "WORKER_THREADS_LOW",
        "CPP_HANDLER", "CONFIG_PARSE_ERROR", "CONFIG_NOT_FOUND", "CONFIG_UNRESOLVED_ENV_VAR"}) {
    EXPECT_TRUE(config::HasCheckRuleMeta(code)) << code;
  }
  EXPECT_FALSE(config::HasCheckRuleMeta("NO_SUCH_CODE"));
  EXPECT_EQ(config::CheckRuleMetaOf("NO_SUCH_CODE").category, "configuration");
}

}  // namespace
}  // namespace protean::cli
