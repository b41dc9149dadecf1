#include "core/config/substitution.h"

#include <cstdlib>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::CaptureError;
using testing::FakeEnv;

std::string Sub(std::string_view text, std::map<std::string, std::string> vars = {}) {
  return SubstituteEnvVars(text, FakeEnv(std::move(vars)), ErrorLocation{"f.toml", "k", 1, 1});
}

TEST(SubstituteStringTest, VariableWithValue) {
  EXPECT_EQ(Sub("${HOST}", {{"HOST", "db.example"}}), "db.example");
  EXPECT_EQ(Sub("${HOST|fallback}", {{"HOST", "db.example"}}), "db.example");
  // A variable set to "" has a value: the default is not used.
  EXPECT_EQ(Sub("${HOST|fallback}", {{"HOST", ""}}), "");
}

TEST(SubstituteStringTest, Defaults) {
  EXPECT_EQ(Sub("${HOST|localhost}"), "localhost");
  EXPECT_EQ(Sub("${HOST|}"), "");  // empty default
  EXPECT_EQ(Sub("${DATABASE_URL|postgresql://localhost:5432/myapp}"),
            "postgresql://localhost:5432/myapp");
  EXPECT_EQ(Sub("${A|x|y}"), "x|y");  // split at the first '|'
  EXPECT_EQ(Sub("${A||}"), "|");
  EXPECT_EQ(Sub("${URL|redis://:pw@h:6379/2?x=a|b}"), "redis://:pw@h:6379/2?x=a|b");
}

TEST(SubstituteStringTest, SeveralPatternsInOneString) {
  EXPECT_EQ(Sub("${HOST|h}:${PORT|5432}/${DB}", {{"DB", "app"}}), "h:5432/app");
  EXPECT_EQ(Sub("pre-${A}-mid-${B}-post", {{"A", "1"}, {"B", "2"}}), "pre-1-mid-2-post");
  EXPECT_EQ(Sub("{'hosts': ['${ES_HOST|localhost}']}"), "{'hosts': ['localhost']}");
}

TEST(SubstituteStringTest, RepeatsUntilNoPatternIsLeft) {
  EXPECT_EQ(Sub("${OUTER}", {{"OUTER", "${INNER}"}, {"INNER", "deep"}}), "deep");
  EXPECT_EQ(Sub("${A|${B}}", {{"B", "2"}}), "2");
  EXPECT_EQ(Sub("${A|${B|z}}"), "z");
}

TEST(SubstituteStringTest, SelfReferenceIsBounded) {
  ConfigurationError e = CaptureError([] { Sub("${LOOP}", {{"LOOP", "x${LOOP}"}}); });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_NE(e.message.find("16 passes"), std::string::npos);
}

TEST(SubstituteStringTest, NonPatternsAreLeftAlone) {
  EXPECT_EQ(Sub("plain"), "plain");
  EXPECT_EQ(Sub("$HOME and ${unterminated"), "$HOME and ${unterminated");
  EXPECT_EQ(Sub("${} stays"), "${} stays");
  // Protean's pattern is ${ + anything but '}' + }: "${ and ${}" is one
  // pattern naming the variable " and ${".
  EXPECT_EQ(Sub("x${ and ${}", {{" and ${", "v"}}), "xv");
  EXPECT_EQ(Sub("{not} $ {X}"), "{not} $ {X}");
  EXPECT_FALSE(ContainsEnvVarPattern("${}"));
  EXPECT_TRUE(ContainsEnvVarPattern("a${B}c"));
}

TEST(SubstituteStringTest, UnresolvedVariableNamesVariableAndKey) {
  ConfigurationError e = CaptureError([] {
    SubstituteEnvVars("${REDIS_URL}", FakeEnv(),
                      ErrorLocation{"d.toml", "brokers.default.URI", 39, 7});
  });
  EXPECT_EQ(e.code, kConfigUnresolvedEnvVar);
  EXPECT_EQ(e.key_path, "brokers.default.URI");
  EXPECT_EQ(e.file, "d.toml");
  EXPECT_EQ(e.line, 39u);
  EXPECT_EQ(e.column, 7u);
  EXPECT_NE(e.message.find("'REDIS_URL'"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("[CONFIG_UNRESOLVED_ENV_VAR]"), std::string::npos);
}

TEST(SubstituteStringTest, EmptyVariableNameIsInvalid) {
  EXPECT_EQ(CaptureError([] { Sub("${|x}"); }).code, kConfigInvalidValue);
}

TEST(SubstituteStringTest, NullLookupReadsTheProcessEnvironment) {
  ::setenv("PROTEAN_CONFIG_TEST_ONLY_VAR", "from-process", 1);
  EXPECT_EQ(SubstituteEnvVars("${PROTEAN_CONFIG_TEST_ONLY_VAR}", nullptr, ErrorLocation{}),
            "from-process");
  ::unsetenv("PROTEAN_CONFIG_TEST_ONLY_VAR");
  EXPECT_EQ(SubstituteEnvVars("${PROTEAN_CONFIG_TEST_ONLY_VAR|gone}", nullptr, ErrorLocation{}),
            "gone");
}

constexpr std::string_view kTable = R"(top = "${A|a}"
number = 5
flag = true
ratio = 0.5
when = 2024-01-02
literal = "no pattern"
hosts = ["${H1|h1}", "fixed", "${H2|h2}"]
nested_arrays = [["${N|n}"], [1, 2]]
servers = [{ url = "${S|s}" }]

[outer.inner]
deep = "${D|d}:${P|1}"
count = 3
)";

TEST(SubstituteTableTest, CoversNestedTablesAndArrayItems) {
  toml::table table = testing::ParseToml(kTable, "t.toml");
  SubstituteEnvVars(table, FakeEnv({{"H2", "real-h2"}}), "t.toml");
  EXPECT_EQ(table["top"].value<std::string>(), "a");
  EXPECT_EQ(table.at_path("outer.inner.deep").value<std::string>(), "d:1");
  const toml::array& hosts = *table["hosts"].as_array();
  EXPECT_EQ(hosts[0].value<std::string>(), "h1");
  EXPECT_EQ(hosts[1].value<std::string>(), "fixed");
  EXPECT_EQ(hosts[2].value<std::string>(), "real-h2");
  EXPECT_EQ(table.at_path("nested_arrays[0][0]").value<std::string>(), "n");
  EXPECT_EQ(table.at_path("servers[0].url").value<std::string>(), "s");
}

TEST(SubstituteTableTest, NonStringValuesAreUntouched) {
  toml::table table = testing::ParseToml(kTable, "t.toml");
  toml::table before = table;
  SubstituteEnvVars(table, FakeEnv(), "t.toml");
  EXPECT_EQ(table["number"], before["number"]);
  EXPECT_EQ(table["flag"], before["flag"]);
  EXPECT_EQ(table["ratio"], before["ratio"]);
  EXPECT_EQ(table["when"], before["when"]);
  EXPECT_EQ(table["literal"], before["literal"]);
  EXPECT_EQ(table.at_path("outer.inner.count"), before.at_path("outer.inner.count"));
  EXPECT_EQ(table.at_path("nested_arrays[1]"), before.at_path("nested_arrays[1]"));
  EXPECT_TRUE(table["number"].is_integer());
}

TEST(SubstituteTableTest, ErrorsCarryKeyPathAndPosition) {
  toml::table table =
      testing::ParseToml("[a.b]\nc = \"x\"\nlist = [\"ok\", \"${MISSING}\"]\n", "t.toml");
  ConfigurationError e = CaptureError([&] { SubstituteEnvVars(table, FakeEnv(), "t.toml", "p"); });
  EXPECT_EQ(e.code, kConfigUnresolvedEnvVar);
  EXPECT_EQ(e.key_path, "p.a.b.list[1]");
  EXPECT_EQ(e.file, "t.toml");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 15u);
}

TEST(SubstituteTableTest, KeepsSourcePositionsOfRewrittenStrings) {
  toml::table table = testing::ParseToml("\nurl = \"${U|x}\"\n", "t.toml");
  SubstituteEnvVars(table, FakeEnv(), "t.toml");
  EXPECT_EQ(table["url"].node()->source().begin.line, 2u);
}

}  // namespace
}  // namespace protean::config
