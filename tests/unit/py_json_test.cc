// core/internal: the Python-compatible JSON reader/writer, sha256 and
// ISO-8601 times that Protean's envelope checksum and headers rest on. The
// expected values were computed with /usr/bin/python3 (3.11):
//   json.dumps(json.loads(t), sort_keys=True, separators=(",", ":")),
//   hashlib.sha256(...).hexdigest(), repr(float).
// PythonCrossCheck* re-run such computations live when /usr/bin/python3 is there.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/internal/iso_time.h"
#include "core/internal/py_json.h"
#include "core/internal/sha256.h"
#include "core/runtime/prng.h"
#include "tests/interop/python_tool.h"

namespace protean {
namespace {

using py_json::Value;

std::string Canonical(std::string_view text) {
  Result<Value> v = py_json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << " for " << text;
  return v.ok() ? py_json::DumpSorted(*v) : "";
}

TEST(PyJsonTest, CanonicalDumpsAndChecksumsMatchPython) {
  struct Case {
    const char* input;
    const char* dumps;
    const char* sha256;
  };
  const Case cases[] = {
      {"{}", "{}", "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
      {R"({"order_id":"ord-1","amount":12.5})", R"({"amount":12.5,"order_id":"ord-1"})",
       "9b2fdad2bc6984db9582d1ce7c61b9cf94ea2ec6f998e6fad212ec87ce8f601e"},
      {R"({"b":1,"a":[1.0,2.5e-05,1e16,-0.0,0.1],"c":{"z":null,"y":true}})",
       R"({"a":[1.0,2.5e-05,1e+16,-0.0,0.1],"b":1,"c":{"y":true,"z":null}})",
       "afbefad42f7f695879a543121eef6231269167aad2ff2b28021b5837828f8c1b"},
      {"{\"name\":\"Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m\",\"emoji\":\"\\ud83d\\ude00\","
       "\"cjk\":\"\xe6\x97\xa5\xe6\x9c\xac\"}",
       R"({"cjk":"\u65e5\u672c","emoji":"\ud83d\ude00","name":"Zo\u00eb \u00c5ngstr\u00f6m"})",
       "11f4e9158d872bdbf55cfe71ee2e139a529e5b97787fe0007199fc730a6c6777"},
      {R"({"big":123456789012345678901234567890,"neg":-0,"exp":1E400,"tiny":1e-400})",
       R"({"big":123456789012345678901234567890,"exp":Infinity,"neg":0,"tiny":0.0})",
       "7dc3a3cab4fc4e55643876fe3a06a65b4b9826019b270922400cce7ea0357267"},
      {R"({"nan":NaN,"inf":Infinity,"ninf":-Infinity})",
       R"({"inf":Infinity,"nan":NaN,"ninf":-Infinity})",
       "5d0cdb4834c209d2b4b5b9736f9bf55a6213c0d494fa89853b3091ab849a7390"},
      {"{\"dup\":1,\"dup\":2,\"\xc3\xa9\":1,\"e\":2,\"\\ud800\":\"lone\"}",
       R"({"dup":2,"e":2,"\u00e9":1,"\ud800":"lone"})",
       "edecb6151301aec1df30e33aa54dd146ba285b4b1753084bb0230bfe9f57fefe"},
      {R"({"b":1,"a":{"y":1,"x":2},"b":[3],"c":0})", R"({"a":{"x":2,"y":1},"b":[3],"c":0})",
       "3709890c66b0797b730b9afe9981ea18a1dbc92cedce60b00c780a355836a0f4"},
      {R"({"ctrl":"a\tb\n\u0001\u007f\"\\/"})", R"({"ctrl":"a\tb\n\u0001\u007f\"\\/"})",
       "c70bebaaa1d979c2797701592d9e10dc8ee0c3365bb36c1cc736cd07ebce4456"},
  };
  for (const Case& c : cases) {
    const std::string dumped = Canonical(c.input);
    EXPECT_EQ(dumped, c.dumps) << c.input;
    EXPECT_EQ(internal::Sha256Hex(dumped), c.sha256) << c.input;
  }
}

TEST(PyJsonTest, FloatReprIsPythons) {
  struct Case {
    double value;
    const char* repr;
  };
  const Case cases[] = {
      {1.0, "1.0"},
      {1e-05, "1e-05"},
      {1e16, "1e+16"},
      {1e15, "1000000000000000.0"},
      {0.0001, "0.0001"},
      {-0.0, "-0.0"},
      {0.1, "0.1"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {1e22, "1e+22"},
      {12345678901234567.0, "1.2345678901234568e+16"},
      {100.0, "100.0"},
      {0.001, "0.001"},
      {2.5e-05, "2.5e-05"},
      {123456.789, "123456.789"},
      {1.0 / 3, "0.3333333333333333"},
      {9007199254740993.0, "9007199254740992.0"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1e-7, "1e-07"},
      {123e-20, "1.23e-18"},
      {std::nan(""), "NaN"},
      {HUGE_VAL, "Infinity"},
      {-HUGE_VAL, "-Infinity"},
  };
  for (const Case& c : cases) EXPECT_EQ(py_json::FloatRepr(c.value), c.repr) << c.repr;
}

TEST(PyJsonTest, StringsAreEscapedAsEnsureAsciiDoes) {
  EXPECT_EQ(py_json::Quote("plain"), "\"plain\"");
  EXPECT_EQ(py_json::Quote("\xc3\xa9"), R"("\u00e9")");
  EXPECT_EQ(py_json::Quote("\xf0\x9f\x98\x80"), R"("\ud83d\ude00")");  // U+1F600
  EXPECT_EQ(py_json::Quote("\x01\x1f\x7f"), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(py_json::Quote("\b\f\n\r\t\"\\/"), R"("\b\f\n\r\t\"\\/")");
  EXPECT_EQ(py_json::Quote("\xe2\x80\xa8"), R"("\u2028")");
  EXPECT_EQ(py_json::Quote("bad \xff byte"), R"("bad \ufffd byte")");
  // Escaped surrogates: a pair becomes one code point, a lone one stays.
  Result<Value> pair = py_json::Parse(R"("\ud83d\ude00")");
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair->text, "\xf0\x9f\x98\x80");
  Result<Value> lone = py_json::Parse(R"("\udc00x\ud800")");
  ASSERT_TRUE(lone.ok());
  EXPECT_EQ(py_json::DumpSorted(*lone), R"("\udc00x\ud800")");
}

TEST(PyJsonTest, NumbersKeepPythonTypes) {
  EXPECT_EQ(Canonical("[1, -0, 1.0, 1e2, 1E-2, 123456789012345678901234567890]"),
            "[1,0,1.0,100.0,0.01,123456789012345678901234567890]");
  Result<Value> v = py_json::Parse("[-0.0, 2]");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->items[0].kind, Value::Kind::kFloat);
  EXPECT_TRUE(std::signbit(v->items[0].number));
  EXPECT_EQ(v->items[1].kind, Value::Kind::kInt);
}

TEST(PyJsonTest, RejectsWhatJsonLoadsRejects) {
  for (const char* bad :
       {"",    "{",         "{\"a\":1,}", "[1,]",      "{'a':1}",  "01",
        "1.",  ".5",        "+1",         "\"a\x01\"", "\"\\x\"",  "\"\\u12\"",
        "nul", "{\"a\" 1}", "[1 2]",      "{} x",      "\"\xff\"", "\"\xed\xa0\x80\"",
        "-",   "NaNa",      "infinity"}) {
    EXPECT_FALSE(py_json::Parse(bad).ok()) << bad;
  }
  Result<Value> err = py_json::Parse("{\"a\":1,}");
  EXPECT_NE(err.status().message().find("at byte 7"), std::string::npos) << err.status().ToString();
  EXPECT_TRUE(py_json::Parse(" \t\r\n{ } \n").ok());
  std::string deep(py_json::kDepthMax, '[');
  deep += std::string(py_json::kDepthMax, ']');
  EXPECT_TRUE(py_json::Parse(deep).ok());
  EXPECT_FALSE(py_json::Parse("[" + deep + "]").ok());
}

// Plain ASCII is taken in runs: the runs must stop at every quote, escape,
// control character and multi-byte sequence.
TEST(PyJsonTest, StringRunsStopAtEscapesAndMultiByteText) {
  Result<Value> v = py_json::Parse(
      "\"ab\\ncd\\\"e\xc3\xa9"
      "fg\\u0041h\"");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->text,
            "ab\ncd\"e\xc3\xa9"
            "fgAh");
  EXPECT_FALSE(py_json::Parse("\"abc\x01"
                              "def\"")
                   .ok());
  EXPECT_FALSE(py_json::Parse("\"abc\xff"
                              "def\"")
                   .ok());
  EXPECT_FALSE(py_json::Parse("\"abcdef").ok());
}

// The runs are found eight bytes at a time: a byte that ends a run must be
// seen at every place in a word and after every length of run.
TEST(PyJsonTest, StringRunsStopAtEveryOffsetOfAWord) {
  struct Stop {
    std::string text;   // as written in the JSON string
    std::string value;  // as decoded; empty: the string is refused
  };
  const Stop stops[] = {{"\\\"", "\""},   {"\\\\", "\\"}, {"\xc3\xa9", "\xc3\xa9"},
                        {"\x7f", "\x7f"}, {"\x01", ""},   {"\x1f", ""},
                        {"\xff", ""},     {" ", " "}};
  for (const Stop& stop : stops) {
    for (size_t before = 0; before <= 17; ++before) {
      const std::string head(before, 'a');
      const std::string tail(9, 'z');
      Result<Value> v = py_json::Parse("\"" + head + stop.text + tail + "\"");
      if (stop.value.empty()) {
        EXPECT_FALSE(v.ok()) << before << " " << stop.text;
        continue;
      }
      ASSERT_TRUE(v.ok()) << before << " " << stop.text << ": " << v.status().ToString();
      EXPECT_EQ(v->text, head + stop.value + tail) << before;
    }
  }
}

TEST(PyJsonTest, SpansLocateEveryValueInTheText) {
  const std::string text = R"( {"a" : [1, {"b":"x"}] , "c":null} )";
  Result<Value> v = py_json::Parse(text);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(text.substr(v->begin, v->end - v->begin), R"({"a" : [1, {"b":"x"}] , "c":null})");
  const py_json::Member* a = v->FindMember("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(text.substr(a->begin, 3), "\"a\"");
  EXPECT_EQ(text.substr(a->value.begin, a->value.end - a->value.begin), R"([1, {"b":"x"}])");
  ASSERT_EQ(v->Pop("a")->items.size(), 2u);
  EXPECT_EQ(v->Find("a"), nullptr);
}

// DumpSortedPlain writes what Parse then DumpSorted write, or declines;
// whether it answered.
bool PlainAgrees(const std::string& text) {
  std::string plain;
  if (!py_json::DumpSortedPlain(text, &plain)) return false;
  Result<Value> v = py_json::Parse(text);
  EXPECT_TRUE(v.ok()) << "answered what Parse refuses (" << v.status().ToString() << "): " << text;
  if (v.ok()) {
    EXPECT_EQ(plain, py_json::DumpSorted(*v)) << text;
  }
  return true;
}

TEST(PyJsonTest, PlainTextIsCanonicalizedWithoutADocument) {
  const char* const plain[] = {
      "{}",
      "[]",
      R"({"order_id":"ord-1","amount":12})",
      R"( { "b" : [ 1 , -2 , { "z" : null , "y" : true } ] , "a" : false } )",
      R"({"order_id": "ord-1", "customer": {"name": "A B", "tier": 3}, "lines": []})",
      R"x({"k":"a/b <c> ' ~!@#$%^&*()"})x",
      R"({"a":{"c":{"e":1,"d":2},"b":[{"y":1,"x":2}]},"A":0})",
      R"({"n":123456789012345678,"m":-123456789012345678,"z":0})",
      "\"text\"",
      "7",
      "\t{\"a\":1}\r\n",
  };
  for (const char* text : plain) EXPECT_TRUE(PlainAgrees(text)) << text;
  // Each goes the general way: a float, an escape, non-ASCII, a repeated key
  // (the last one wins), -0, DEL (written \u007f), 19 digits, NaN, not JSON.
  const char* const general[] = {
      R"({"a":1.5})",
      R"({"a":1e3})",
      R"({"a":"x\ny"})",
      R"({"a\/":1})",
      "{\"a\":\"\xc3\xa9\"}",
      R"({"a":1,"b":2,"a":3})",
      R"({"b":{"x":1,"x":1},"a":0})",
      R"({"a":-0})",
      "{\"a\":\"\x7f\"}",
      R"({"a":1234567890123456789})",
      R"({"a":NaN})",
      R"({"a":-Infinity})",
      R"({"a":01})",
      R"({"a":1,})",
      R"({"a" 1})",
      R"({"a":1} x)",
      R"({"a":tru})",
      "{\"a\":\"x\x01\"}",
      "",
      "   ",
      "{",
  };
  for (const char* text : general) EXPECT_FALSE(PlainAgrees(text)) << text;
  std::string deep;
  for (int i = 0; i < 65; ++i) deep += "[";
  for (int i = 0; i < 65; ++i) deep += "]";
  EXPECT_FALSE(PlainAgrees(deep));
  EXPECT_TRUE(PlainAgrees(deep.substr(1, 128)));
}

// Random documents over the subset's edges (keys out of order, repeated,
// nested), each also cut short and with a byte changed: wherever
// DumpSortedPlain answers, it answers what DumpSorted does.
TEST(PyJsonTest, PlainCanonicalizationAgreesOnRandomDocuments) {
  Prng prng(20261203);
  const char* const atoms[] = {"0",
                               "7",
                               "-12",
                               "1.5",
                               "-0",
                               "true",
                               "false",
                               "null",
                               "\"s\"",
                               "\"\\n\"",
                               "\"\xc3\xa9\"",
                               "\"\x7f\"",
                               "99999999999999999999"};
  const char* const keys[] = {"a", "b", "ab", "B", "", "a b", "~"};
  std::function<std::string(int)> value = [&](int depth) -> std::string {
    const int64_t pick = prng.UniformInt(0, depth > 3 ? 0 : 2);
    if (pick == 0) return atoms[prng.UniformInt(0, std::ssize(atoms) - 1)];
    std::string out(1, pick == 1 ? '[' : '{');
    const int64_t n = prng.UniformInt(0, 4);
    for (int64_t i = 0; i < n; ++i) {
      if (i > 0) out += prng.Chance(1, 4) ? " , " : ",";
      if (pick == 2) {
        out += '"';
        out += keys[prng.UniformInt(0, std::ssize(keys) - 1)];
        out += "\":";
      }
      out += value(depth + 1);
    }
    return out + (pick == 1 ? ']' : '}');
  };
  int answered = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string doc = value(0);
    if (PlainAgrees(doc)) ++answered;
    const auto size = static_cast<int64_t>(doc.size());
    (void)PlainAgrees(doc.substr(0, static_cast<size_t>(prng.UniformInt(0, size))));
    std::string changed = doc;
    changed[static_cast<size_t>(prng.UniformInt(0, size - 1))] =
        "{}[],:\" 0-a"[prng.UniformInt(0, 10)];
    (void)PlainAgrees(changed);
  }
  EXPECT_GT(answered, 300) << "the subset is common in these documents";
}

TEST(Sha256Test, FipsVectors) {
  EXPECT_EQ(internal::Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(internal::Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(internal::Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(internal::Sha256Hex(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

// Sha256 runs on the CPU's SHA extensions where it has them: every length
// around the block and padding boundaries, and the FIPS vectors, digest the
// same as the portable compression.
TEST(Sha256Test, TheAcceleratedAndPortableCompressionsAgree) {
  EXPECT_EQ(internal::Sha256Portable("abc"), internal::Sha256("abc"));
  uint32_t x = 2463534242u;  // xorshift32: fixed bytes, no library state
  std::string data;
  for (size_t n = 0; n <= 300; ++n) {
    EXPECT_EQ(internal::Sha256Portable(data), internal::Sha256(data)) << "length " << n;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data.push_back(static_cast<char>(x & 0xFF));
  }
  std::printf("sha256 on the CPU's SHA extensions: %s\n",
              internal::Sha256IsAccelerated() ? "yes" : "no");
}

TEST(IsoTimeTest, FormatsAsPythonIsoformatAndParsesWhatPydanticReads) {
  const TimePoint t = FromMicros(1787306400123456);  // 2026-08-21T10:00:00.123456Z
  EXPECT_EQ(internal::FormatIsoTime(t), "2026-08-21T10:00:00.123456+00:00");
  EXPECT_EQ(internal::FormatIsoTime(FromMillis(1787306400000)), "2026-08-21T10:00:00+00:00");
  EXPECT_EQ(internal::ParseIsoTime("2026-08-21T10:00:00.123456+00:00"), t);
  EXPECT_EQ(internal::ParseIsoTime("2026-08-21 12:00:00.123456+02:00"), t);
  EXPECT_EQ(internal::ParseIsoTime("2026-08-21T10:00:00.123456Z"), t);
  EXPECT_EQ(internal::ParseIsoTime("2026-08-21T10:00:00.1234569"), t);  // naive = UTC, truncated
  EXPECT_EQ(internal::ParseIsoTime("2026-08-21T04:30:00.123456-0530"), t);
  EXPECT_EQ(internal::ParseIsoTime("2026-08-21"), FromMillis(1787270400000));
  for (const char* bad : {"", "2026-13-01", "2026-02-30", "2026-08-21T25:00", "2026-08-21T10",
                          "2026-08-21T10:00:00.", "2026-08-21T10:00:00+5", "yesterday"}) {
    EXPECT_FALSE(internal::ParseIsoTime(bad).has_value()) << bad;
  }
}

TEST(PyJsonTest, PythonCrossCheckFloats) {
  const std::string skip = python_tool::Unavailable();
  if (!skip.empty()) GTEST_SKIP() << skip;
  Prng prng(20260821);
  std::vector<double> values;
  for (int i = 0; i < 2000; ++i) {
    uint64_t bits = prng.Next();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
    values.push_back(static_cast<double>(prng.UniformInt(-1000000, 1000000)) / 1000.0);
  }
  std::string input;
  for (double d : values) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a\n", d);
    input += buf;
  }
  Result<std::string> out = python_tool::Run("floats", input);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const nlohmann::json reprs = nlohmann::json::parse(*out);
  ASSERT_EQ(reprs.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(py_json::FloatRepr(values[i]), reprs[i].get<std::string>())
        << "seed=20260821 i=" << i;
  }
}

TEST(PyJsonTest, PythonCrossCheckDumps) {
  const std::string skip = python_tool::Unavailable();
  if (!skip.empty()) GTEST_SKIP() << skip;
  const std::vector<std::string> texts = {
      R"({"z":[1,2.50,-3e-7,1e300,null],"a":{"\u00e9":"\ud83d\ude00","\u00c5":false}})",
      "{\"raw\":\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\",\"k\":\"\\u0000\\u001f\"}",
      R"({"n":-0,"m":-0.0,"big":-98765432109876543210,"f":1.5e-10,"g":123456789.0})",
      R"([{"b":{"d":1,"c":2},"a":[]},"\ud800\udbff\udc00"])",
  };
  std::string input;
  for (const std::string& t : texts) input += t + "\n";
  Result<std::string> out = python_tool::Run("dumps", input);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const nlohmann::json results = nlohmann::json::parse(*out);
  ASSERT_EQ(results.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string dumped = Canonical(texts[i]);
    EXPECT_EQ(dumped, results[i]["dumps"].get<std::string>()) << texts[i];
    EXPECT_EQ(internal::Sha256Hex(dumped), results[i]["sha256"].get<std::string>()) << texts[i];
  }
}

}  // namespace
}  // namespace protean
