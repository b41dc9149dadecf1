#include "core/config/table_reader.h"

#include <array>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/merge.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::CaptureError;

constexpr std::string_view kScenario = R"(name = "retry"
enabled = true
count = 3
ratio = 0.5
whole = 2
word = "ten"
numeric_text = "5"
tags = ["a", "b"]
mixed = ["a", 1]
mode = "fast"

[server]
port = 8080
prot = 1

[server.health]
enabled = false
)";

class TableReaderTest : public ::testing::Test {
 protected:
  toml::table table_ = testing::ParseToml(kScenario, "scenario.toml");
  TableReader reader_{table_, "scenario.toml", ""};
};

TEST_F(TableReaderTest, ReadsTypedValuesAndDefaults) {
  EXPECT_EQ(reader_.String("name", "x"), "retry");
  EXPECT_TRUE(reader_.Bool("enabled", false));
  EXPECT_EQ(reader_.Int("count", 0, 1, 10), 3);
  EXPECT_DOUBLE_EQ(reader_.Double("ratio", 0), 0.5);
  EXPECT_DOUBLE_EQ(reader_.Double("whole", 0), 2.0);  // integers are doubles too
  EXPECT_EQ(reader_.StringArray("tags"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(reader_.Int("absent", 42), 42);
  EXPECT_EQ(reader_.String("absent", "dflt"), "dflt");
  EXPECT_FALSE(reader_.OptionalBool("absent").has_value());
  EXPECT_FALSE(reader_.OptionalDouble("absent").has_value());
  EXPECT_TRUE(reader_.StringArray("absent").empty());
  EXPECT_TRUE(reader_.Has("name"));
  EXPECT_FALSE(reader_.Has("absent"));
}

TEST_F(TableReaderTest, IntRejectsNonIntegersWithPosition) {
  ConfigurationError e = CaptureError([&] { reader_.Int("word", 5, 1); });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_EQ(e.file, "scenario.toml");
  EXPECT_EQ(e.key_path, "word");
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.column, 8u);
  EXPECT_EQ(e.message, "expected an integer >= 1, got \"ten\"");
  EXPECT_STREQ(e.what(),
               "scenario.toml:6:8: word: expected an integer >= 1, got \"ten\" "
               "[CONFIG_INVALID_VALUE]");

  e = CaptureError([&] { reader_.Int("ratio", 0); });
  EXPECT_EQ(e.message, "expected an integer, got 0.5");
  e = CaptureError([&] { reader_.Int("enabled", 0); });
  EXPECT_EQ(e.message, "expected an integer, got true");
}

TEST_F(TableReaderTest, IntRangeMessages) {
  EXPECT_EQ(CaptureError([&] { reader_.Int("count", 0, 5); }).message,
            "expected an integer >= 5, got 3");
  EXPECT_EQ(CaptureError([&] { reader_.Int("count", 0, kIntMin, 2); }).message,
            "expected an integer <= 2, got 3");
  EXPECT_EQ(CaptureError([&] { reader_.Int("count", 0, 4, 9); }).message,
            "expected an integer in 4..9, got 3");
}

TEST_F(TableReaderTest, NumericStringGetsAHint) {
  ConfigurationError e = CaptureError([&] { reader_.Int("numeric_text", 0); });
  EXPECT_EQ(e.key_path, "numeric_text");
  EXPECT_NE(e.message.find("expected an integer, got \"5\""), std::string::npos);
  EXPECT_NE(e.message.find("write the number unquoted"), std::string::npos);
}

TEST_F(TableReaderTest, DoubleRangesAndTypes) {
  DoubleRange positive{0, std::numeric_limits<double>::infinity(), true};
  EXPECT_EQ(CaptureError([&] { reader_.Double("word", 1, positive); }).message,
            "expected a number > 0, got \"ten\"");
  EXPECT_EQ(CaptureError([&] {
              reader_.Double("ratio", 1, DoubleRange{1, 2});
            }).message,
            "expected a number in [1, 2], got 0.5");
  EXPECT_DOUBLE_EQ(reader_.Double("ratio", 1, DoubleRange{0.5, 1}), 0.5);  // inclusive
  EXPECT_EQ(CaptureError([&] {
              reader_.Double("ratio", 1, DoubleRange{0.5, 1, true});
            }).message,
            "expected a number in (0.5, 1], got 0.5");
}

TEST_F(TableReaderTest, BoolAndStringRejectOtherTypes) {
  EXPECT_EQ(CaptureError([&] { reader_.Bool("count", false); }).message,
            "expected a boolean, got 3");
  EXPECT_EQ(CaptureError([&] { reader_.String("count", ""); }).message, "expected a string, got 3");
  EXPECT_EQ(CaptureError([&] { reader_.String("server", ""); }).message,
            "expected a string, got a table");
  EXPECT_EQ(CaptureError([&] { reader_.Bool("tags", false); }).message,
            "expected a boolean, got an array");
}

TEST_F(TableReaderTest, EnumListsAllowedValues) {
  constexpr std::array<std::string_view, 2> kModes = {"sync", "async"};
  ConfigurationError e = CaptureError([&] { reader_.Enum("mode", "async", kModes); });
  EXPECT_EQ(e.message, "expected one of \"sync\", \"async\", got \"fast\"");
  EXPECT_EQ(e.line, 10u);
  EXPECT_EQ(reader_.Enum("absent", "async", kModes), "async");
}

TEST_F(TableReaderTest, StringArrayItemErrorsNameTheIndex) {
  ConfigurationError e = CaptureError([&] { reader_.StringArray("mixed"); });
  EXPECT_EQ(e.key_path, "mixed[1]");
  EXPECT_EQ(e.message, "expected a string, got 1");
  EXPECT_EQ(e.line, 9u);
  EXPECT_EQ(CaptureError([&] { reader_.StringArray("name"); }).message,
            "expected an array of strings, got \"retry\"");
}

TEST_F(TableReaderTest, ChildReadersCarryTheKeyPath) {
  TableReader server = reader_.Table("server");
  EXPECT_EQ(server.key_prefix(), "server");
  TableReader health = server.Table("health");
  EXPECT_FALSE(health.Bool("enabled", true));
  ConfigurationError e = CaptureError([&] { server.Int("port", 0, 1, 1000); });
  EXPECT_EQ(e.key_path, "server.port");
  EXPECT_EQ(e.line, 13u);
  EXPECT_EQ(e.message, "expected an integer in 1..1000, got 8080");

  TableReader missing = reader_.Table("nothing");  // absent: an empty reader
  EXPECT_EQ(missing.Int("x", 7), 7);
  EXPECT_EQ(missing.KeyPath("x"), "nothing.x");
  EXPECT_FALSE(reader_.OptionalTable("nothing").has_value());
  EXPECT_EQ(CaptureError([&] { reader_.Table("count"); }).message, "expected a table, got 3");
}

TEST_F(TableReaderTest, RejectUnknownKeysNamesTheFirstUnreadKey) {
  TableReader server = reader_.Table("server");
  server.Int("port", 0);
  server.Table("health");
  ConfigurationError e = CaptureError([&] { server.RejectUnknownKeys(); });
  EXPECT_EQ(e.code, kConfigInvalidValue);
  EXPECT_EQ(e.key_path, "server.prot");
  EXPECT_EQ(e.message, "unknown key 'prot'");
  EXPECT_EQ(e.line, 14u);
  EXPECT_EQ(server.UnreadKeys(), std::vector<std::string>{"prot"});
  server.Ignore("prot");
  EXPECT_NO_THROW(server.RejectUnknownKeys());
}

TEST_F(TableReaderTest, RequiredValues) {
  EXPECT_EQ(CaptureError([&] { reader_.RequiredString("provider"); }).message,
            "missing required key 'provider'");
  EXPECT_EQ(CaptureError([&] { reader_.RequiredInt("provider"); }).key_path, "provider");
  EXPECT_EQ(reader_.RequiredInt("count", 1), 3);
  EXPECT_DOUBLE_EQ(reader_.RequiredDouble("ratio"), 0.5);
  toml::table empty_string{{"provider", ""}};
  TableReader reader(empty_string, "f", "x");
  EXPECT_EQ(CaptureError([&] { reader.RequiredString("provider"); }).message,
            "expected a non-empty string, got \"\"");
}

TEST_F(TableReaderTest, FailAndNodeForCustomChecks) {
  const toml::node* node = reader_.Node("ratio");
  ASSERT_NE(node, nullptr);
  ConfigurationError e =
      CaptureError([&] { reader_.Fail("ratio", kConfigInvalidValue, "must be a probability"); });
  EXPECT_EQ(e.key_path, "ratio");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.column, 9u);
  EXPECT_EQ(reader_.Node("absent"), nullptr);
}

TEST(TableReaderFileTest, NodeSourceFileWinsOverReaderFile) {
  toml::table base = testing::ParseToml("a = 1\n", "domain.toml");
  DeepMerge(base, testing::ParseToml("\n\nb = \"x\"\n", "scenario.toml"));
  TableReader reader(base, "domain.toml", "cfg");
  ConfigurationError e = CaptureError([&] { reader.Int("b", 0); });
  EXPECT_EQ(e.file, "scenario.toml");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.key_path, "cfg.b");
}

TEST(TableReaderFileTest, QuotesKeysThatAreNotBare) {
  toml::table table = testing::ParseToml("\"a.b\" = \"x\"\n", "f.toml");
  TableReader reader(table, "f.toml", "custom");
  EXPECT_EQ(CaptureError([&] { reader.Int("a.b", 0); }).key_path, "custom.\"a.b\"");
}

}  // namespace
}  // namespace protean::config
