// Size and nesting bounds checked on the raw text before toml++ parses it
// (core/config/text_bounds.h): the depth the scanner counts equals the depth
// of the table toml++ builds (on hand-written cases and on generated valid
// documents), and a file past a bound is CONFIG_PARSE_ERROR with line:column.

#include <algorithm>
#include <string>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/domain_config.h"
#include "core/config/text_bounds.h"
#include "core/runtime/prng.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::CaptureError;

// The nesting of a parsed table: a key of the root is 1, a key of a table
// under it 2, an item of an array one more than the array.
int RealDepth(const toml::node& node, int depth) {
  int deepest = depth;
  if (const toml::table* table = node.as_table()) {
    for (auto&& [key, child] : *table) deepest = std::max(deepest, RealDepth(child, depth + 1));
  } else if (const toml::array* array = node.as_array()) {
    for (const toml::node& item : *array) deepest = std::max(deepest, RealDepth(item, depth + 1));
  }
  return deepest;
}

int ParsedDepth(std::string_view text) {
  toml::table table = toml::parse(text, std::string_view("t.toml"));
  return RealDepth(table, 0);
}

TEST(TomlNestingDepthTest, CountsLikeTheParsedTable) {
  for (std::string_view text : {
           "a = 1\n",
           "[a.b.c]\nx = 1\n",
           "[[a.b]]\nx = 1\n",
           "a = [[1]]\n",
           "a = {b = {c = 1}}\n",
           "a.b.c = 1\n",
           "[a]\nb.c = [ {d = 1}, {e.f = 2} ]\n",
           "a = \"[[[{{{. . .\"\n",
           "a = \"\"\"\n[x.y.z]\n\"\"\"\nb = 1\n",
           "a = '''q''x'''''\nb = 'c.d.e'\n",
           "# [a.b.c.d.e]\na = 1 # {x = {y = 1}}\n",
           "\"a.b\".c = 1\n'd.e' = 2\n",
           "a = \"\\\" [ {\"\nb = \"\"\"x\\\"\"\"\"\"\"\n",
           "[ a . \"b\" . c ]\nd = 1979-05-27 07:32:00Z\ne = [\n  1, # one\n  [2],\n]\n",
           "a = { b = [ { c = { } } ] }\n",
           "x = []\ny = {}\n",
       }) {
    EXPECT_EQ(TomlNestingDepth(text), ParsedDepth(text)) << text;
  }
}

// A random valid TOML document: headers, dotted keys, inline tables, arrays
// and every string form with the characters that could fool a scanner.
class DocumentGenerator {
 public:
  explicit DocumentGenerator(uint64_t seed) : prng_(seed) {}

  std::string Document() {
    std::string out;
    const int sections = static_cast<int>(prng_.UniformInt(0, 4));
    out += Pairs(static_cast<int>(prng_.UniformInt(0, 3)), 0);
    for (int i = 0; i < sections; ++i) {
      const bool array = prng_.Chance(1, 4);
      out += array ? "[[" : "[";
      out += DottedKey(static_cast<int>(prng_.UniformInt(1, 4)));
      out += array ? "]]" : "]";
      out += Comment() + "\n";
      out += Pairs(static_cast<int>(prng_.UniformInt(0, 3)), 0);
    }
    return out;
  }

 private:
  std::string Fresh() { return "k" + std::to_string(next_++); }

  std::string KeyPart() {
    switch (prng_.UniformInt(0, 3)) {
      case 0:
        return "\"" + Fresh() + ".q[{\"";
      case 1:
        return "'" + Fresh() + ".l'";
      default:
        return Fresh();
    }
  }

  std::string DottedKey(int segments) {
    std::string out = KeyPart();
    for (int i = 1; i < segments; ++i) out += (prng_.Chance(1, 2) ? " . " : ".") + KeyPart();
    return out;
  }

  std::string Comment() { return prng_.Chance(1, 3) ? " # [x.y] {\"'" : ""; }

  std::string Pairs(int count, int nesting) {
    std::string out;
    for (int i = 0; i < count; ++i) {
      out += DottedKey(static_cast<int>(prng_.UniformInt(1, 3))) + " = " + Value(nesting) +
             Comment() + "\n";
    }
    return out;
  }

  std::string Value(int nesting) {
    const int64_t kind = prng_.UniformInt(0, nesting >= 4 ? 5 : 7);
    switch (kind) {
      case 0:
        return "\"a \\\" [ { . # \\\\\"";
      case 1:
        return "'lit [ { . # \\'";
      case 2:
        return "\"\"\"\nml [ {\n\\\"\"\" \"\" x\"\"\"";
      case 3:
        return "'''\nml ' '' [{ '''";
      case 4:
        return prng_.Chance(1, 2) ? "1979-05-27 07:32:00Z" : "-1.5e3";
      case 5:
        return "true";
      case 6: {
        std::string out = "[";
        const int64_t items = prng_.UniformInt(0, 3);
        for (int64_t i = 0; i < items; ++i) {
          out += (i > 0 ? ", " : " ") + Value(nesting + 1) + (prng_.Chance(1, 3) ? " # c\n" : "");
        }
        return out + (items > 0 && prng_.Chance(1, 2) ? ", ]" : " ]");
      }
      default: {
        std::string out = "{";
        const int64_t items = prng_.UniformInt(0, 2);
        for (int64_t i = 0; i < items; ++i) {
          out += std::string(i > 0 ? ", " : " ") +
                 DottedKey(static_cast<int>(prng_.UniformInt(1, 2))) + " = " + Value(nesting + 1);
        }
        return out + " }";
      }
    }
  }

  Prng prng_;
  int next_ = 0;
};

TEST(TomlNestingDepthTest, EqualsTheParsedDepthOnGeneratedDocuments) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    const std::string text = DocumentGenerator(seed).Document();
    toml::table parsed;
    try {
      parsed = toml::parse(text, std::string_view("g.toml"));
    } catch (const toml::parse_error& e) {
      FAIL() << "seed=" << seed << " generated invalid TOML: " << e.description() << "\n" << text;
    }
    EXPECT_EQ(TomlNestingDepth(text), RealDepth(parsed, 0)) << "seed=" << seed << "\n" << text;
    ++checked;
  }
  EXPECT_EQ(checked, 400);
}

std::string Repeat(std::string_view unit, size_t times) {
  std::string out;
  out.reserve(unit.size() * times);
  for (size_t i = 0; i < times; ++i) out += unit;
  return out;
}

TEST(TextBoundsTest, DeepNestingIsRefusedWithItsPosition) {
  struct Case {
    std::string name;
    std::string text;
    uint32_t line;
    uint32_t column;
  };
  const size_t deep = 100000;
  for (const Case& c : {
           Case{"dotted key", "\n" + Repeat("a.", deep) + "z = 1\n", 2, 129},
           Case{"header", "[" + Repeat("a.", deep) + "z]\n", 1, 130},
           Case{"inline tables", "x = " + Repeat("{a = ", deep) + "1" + Repeat("}", deep) + "\n", 1,
                321},
           Case{"arrays", "x = " + Repeat("[", deep) + Repeat("]", deep) + "\n", 1, 69},
           Case{"arrays over lines", "x = " + Repeat("[\n", deep) + Repeat("]", deep) + "\n", 65,
                1},
       }) {
    ConfigurationError e = CaptureError([&] { CheckTomlTextBounds(c.text, "deep.toml"); });
    EXPECT_EQ(e.code, kConfigParseError) << c.name;
    EXPECT_EQ(e.file, "deep.toml") << c.name;
    EXPECT_EQ(e.line, c.line) << c.name;
    if (c.column > 0) {
      EXPECT_EQ(e.column, c.column) << c.name;
    }
    EXPECT_EQ(e.message, "tables, arrays and dotted keys nest deeper than 64 levels") << c.name;
  }
  // 64 levels load.
  EXPECT_NO_THROW(CheckTomlTextBounds(Repeat("a.", 63) + "z = 1\n", "ok.toml"));
  EXPECT_THROW(CheckTomlTextBounds(Repeat("a.", 64) + "z = 1\n", "no.toml"), ConfigurationError);
}

// toml++ 3.3 reaches __builtin_unreachable() on some non-ASCII characters
// where it looks for whitespace (found by fuzzing: U+FE7F in a header; any
// of U+00A1..U+0499 too); TOML allows non-ASCII only in strings and
// comments, so such a character elsewhere is refused before toml++ sees it.
TEST(TextBoundsTest, NonAsciiOutsideStringsAndCommentsIsRefusedWithItsPosition) {
  ConfigurationError e =
      CaptureError([] { CheckTomlTextBounds("a = 1\n[data\xef\xb9\xbf]\n", "u.toml"); });
  EXPECT_EQ(e.code, kConfigParseError);
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 6u);
  EXPECT_NE(e.message.find("non-ASCII character outside a string or comment"), std::string::npos);
  EXPECT_THROW(CheckTomlTextBounds("k = caf\xc3\xa9\n", "u.toml"), ConfigurationError);
  // Quotes inside a bare token open no string: toml++ reads on to the
  // token's end (the nightly fuzzer's input, config_loader-crash-7c9ac8d7).
  ConfigurationError token =
      CaptureError([] { CheckTomlTextBounds("p = ---'''--\xcf\xbb--\n", "u.toml"); });
  EXPECT_EQ(token.line, 1u);
  EXPECT_EQ(token.column, 13u);
  EXPECT_THROW(CheckTomlTextBounds("k = a\"\xc3\xa9\"\n", "u.toml"), ConfigurationError);
  // Allowed wherever TOML allows it: every string form, comments.
  for (const char* ok :
       {"k = \"caf\xc3\xa9\"\n", "k = 'caf\xc3\xa9'\n", "k = \"\"\"\ncaf\xc3\xa9 \\\" \"\"\"\n",
        "k = '''\n\xc3\xa9'''\n", "# caf\xc3\xa9\nk = 1 # \xef\xb9\xbf\n", "\"caf\xc3\xa9\" = 1\n",
        "k = \"a\\\"\xc3\xa9\"\n", "# a comment\n\"cl\xc3\xa9\" = 1\n", "a.\"cl\xc3\xa9\" = 1\n",
        "k = [\"\xc3\xa9\",\"\xc3\xa9\"]\n", "t = {k=\"\xc3\xa9\"}\n", "[\"\xc3\xa9\"]\n"}) {
    EXPECT_NO_THROW(CheckTomlTextBounds(ok, "ok.toml")) << ok;
    EXPECT_NO_THROW(ParseTomlText(ok, "ok.toml")) << ok;
  }
}

TEST(TextBoundsTest, TheLoaderRefusesDeepAndLargeFiles) {
  ConfigurationError deep =
      CaptureError([] { testing::ParseText("[server]\n" + Repeat("a.", 200) + "z = 1\n"); });
  EXPECT_EQ(deep.code, kConfigParseError);
  EXPECT_EQ(deep.file, "domain.toml");
  EXPECT_EQ(deep.line, 2u);

  testing::TempDir dir;
  const std::string big = "# " + std::string((size_t{4} << 20), 'x') + "\n";
  dir.Write("big/domain.toml", big);
  LoadOptions options;
  options.path = dir.path() / "big";
  options.env_lookup = testing::FakeEnv();
  ConfigurationError large = CaptureError([&] { LoadDomainConfig(options); });
  EXPECT_EQ(large.code, kConfigParseError);
  EXPECT_EQ(large.message,
            "the file is " + std::to_string(big.size()) + " bytes, above the limit of 4 MiB");
  // Exactly at the limit is fine.
  dir.Write("edge/domain.toml", "#" + std::string((size_t{4} << 20) - 2, 'x') + "\n");
  options.path = dir.path() / "edge";
  EXPECT_NO_THROW(LoadDomainConfig(options));
}

TEST(TextBoundsTest, ParseTomlTextReportsSyntaxErrors) {
  ConfigurationError e = CaptureError([] { ParseTomlText("[server\n", "bad.toml"); });
  EXPECT_EQ(e.code, kConfigParseError);
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(ParseTomlText("a = 1\n", "ok.toml")["a"].value<int64_t>(), 1);
}

}  // namespace
}  // namespace protean::config
