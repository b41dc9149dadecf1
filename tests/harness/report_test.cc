#include "harness/report.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace protean::harness {
namespace {

CaseResult Case(const std::string& suite, const std::string& scenario, const std::string& mode,
                uint64_t seed) {
  CaseResult r;
  r.suite = suite;
  r.scenario = scenario;
  r.file = "scenarios/" + suite + "/" + scenario + ".toml";
  r.mode = mode;
  r.seed = seed;
  r.sim_seconds = 30;
  r.wall_seconds = 0.25;
  r.events = 120;
  r.replay_command = "protean-harness run " + r.file + " --protean-env " + mode + " --seed " +
                     std::to_string(seed);
  return r;
}

std::vector<CaseResult> Sample() {
  CaseResult passed = Case("retries", "fixed-backoff", "memory", 7);
  CaseResult failed = Case("retries", "fixed-backoff", "memory", 8);
  failed.failures = {"no_loss: t=+1.500s Billing msg 3f2a1b2c: published <orders> & lost",
                     "duplicates: \"quoted\" and 'single'"};
  failed.history_path = "out/retries_fixed-backoff_memory_8.jsonl";
  CaseResult skipped = Case("shutdown", "sigterm", "test", 1);
  skipped.skipped = true;
  skipped.skip_reason = "REDIS_URL not set";
  return {passed, failed, skipped};
}

// A small XML 1.0 well-formedness check: balanced tags, quoted attributes
// without raw '<' or '&', entities known, no characters XML forbids.
std::string XmlProblem(const std::string& x) {
  std::vector<std::string> open;
  size_t i = 0;
  auto entity_ok = [&](size_t at) {
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#9;", "&#10;", "&#13;"}) {
      if (x.compare(at, std::string(e).size(), e) == 0) return true;
    }
    return false;
  };
  for (unsigned char c : x) {
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return "control character";
  }
  if (x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0) != 0) return "no declaration";
  i = x.find('\n') + 1;
  while (i < x.size()) {
    if (x[i] == '&' && !entity_ok(i)) return "bad entity at " + std::to_string(i);
    if (x[i] != '<') {
      ++i;
      continue;
    }
    const bool closing = x[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    size_t name_end = x.find_first_of(" />", j);
    const std::string name = x.substr(j, name_end - j);
    j = name_end;
    bool in_quote = false;
    for (; j < x.size() && (in_quote || x[j] != '>'); ++j) {
      if (x[j] == '"') in_quote = !in_quote;
      if (in_quote && x[j] == '<') return "'<' in attribute of " + name;
      if (in_quote && x[j] == '&' && !entity_ok(j)) return "bad entity in attribute of " + name;
    }
    if (j >= x.size()) return "unterminated tag " + name;
    const bool self_closing = x[j - 1] == '/';
    if (closing) {
      if (open.empty() || open.back() != name) return "mismatched </" + name + ">";
      open.pop_back();
    } else if (!self_closing) {
      open.push_back(name);
    }
    i = j + 1;
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

TEST(ReportTest, CaseNameIsSuiteScenarioModeSeed) {
  EXPECT_EQ(CaseName(Case("retries", "fixed-backoff", "memory", 7)),
            "retries/fixed-backoff [memory seed=7]");
}

TEST(JUnitXmlTest, IsWellFormedWithCountsPerSuiteAndMode) {
  const std::string x = JUnitXml(Sample(), 1.5);
  EXPECT_EQ(XmlProblem(x), "") << x;
  EXPECT_NE(x.find("<testsuites name=\"protean-harness\" tests=\"3\" failures=\"1\" errors=\"0\" "
                   "skipped=\"1\" time=\"1.500\">"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("<testsuite name=\"retries.memory\" tests=\"2\" failures=\"1\" errors=\"0\" "
                   "skipped=\"0\" time=\"0.500\">"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("<testsuite name=\"shutdown.test\" tests=\"1\" failures=\"0\" errors=\"0\" "
                   "skipped=\"1\""),
            std::string::npos);
  EXPECT_NE(x.find("<testcase classname=\"retries.memory\" name=\"fixed-backoff [seed=7]\" "
                   "time=\"0.250\">"),
            std::string::npos);
  EXPECT_NE(x.find("<property name=\"seed\" value=\"8\"/>"), std::string::npos);
  EXPECT_NE(x.find("<property name=\"mode\" value=\"memory\"/>"), std::string::npos);
  EXPECT_NE(x.find("<skipped message=\"REDIS_URL not set\"/>"), std::string::npos);
  EXPECT_EQ(Count(x, "<testcase "), 3u);
  EXPECT_EQ(Count(x, "<failure "), 1u);
}

TEST(JUnitXmlTest, FailureTextStartsWithTheReplayCommand) {
  const std::string x = JUnitXml(Sample(), 1.5);
  const size_t open = x.find("<failure ");
  ASSERT_NE(open, std::string::npos);
  const size_t text = x.find('>', open) + 1;
  const std::string body = x.substr(text, x.find("</failure>") - text);
  EXPECT_EQ(
      body.substr(0, body.find('\n')),
      "protean-harness run scenarios/retries/fixed-backoff.toml --protean-env memory --seed 8");
  EXPECT_NE(
      body.find("\nno_loss: t=+1.500s Billing msg 3f2a1b2c: published &lt;orders&gt; &amp; lost\n"
                "duplicates: \"quoted\" and 'single'"),
      std::string::npos)
      << body;
  EXPECT_NE(x.find("message=\"2 violations; first: no_loss: t=+1.500s Billing msg 3f2a1b2c: "
                   "published &lt;orders&gt; &amp; lost\""),
            std::string::npos)
      << x;
}

TEST(JUnitXmlTest, EscapesControlCharactersAndInvalidUtf8) {
  CaseResult r = Case("odd", "a\"b<c>&d", "memory", 1);
  r.failures = {std::string("bell\x07 tab\t newline\nend \xff caf\xc3\xa9 \xef\xbf\xbe")};
  r.skip_reason = "";
  const std::string x = JUnitXml({r}, 0);
  EXPECT_EQ(XmlProblem(x), "") << x;
  EXPECT_NE(x.find("name=\"a&quot;b&lt;c&gt;&amp;d [seed=1]\""), std::string::npos) << x;
  EXPECT_NE(x.find("bell\\u0007 tab&#9; newline&#10;end \xEF\xBF\xBD caf\xc3\xa9 \\uFFFE\""),
            std::string::npos)
      << x;  // the message attribute
  EXPECT_NE(x.find("bell\\u0007 tab\t newline\nend"), std::string::npos) << x;  // the text
}

TEST(JUnitXmlTest, NamesAreUniqueEvenForARepeatedSeed) {
  std::vector<CaseResult> results = {Case("s", "x", "memory", 1), Case("s", "x", "memory", 1),
                                     Case("s", "x", "test", 1)};
  const std::string x = JUnitXml(results, 0);
  EXPECT_EQ(Count(x, "name=\"x [seed=1]\""), 2u);  // once per suite.mode
  EXPECT_EQ(Count(x, "name=\"x [seed=1] #2\""), 1u);
  EXPECT_EQ(XmlProblem(x), "");
}

TEST(JsonSummaryTest, HoldsTotalsAndEveryCase) {
  const nlohmann::json j = nlohmann::json::parse(JsonSummary(Sample(), 1.5));
  EXPECT_EQ(j["total"], 3);
  EXPECT_EQ(j["passed"], 1);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["skipped"], 1);
  EXPECT_DOUBLE_EQ(j["wall_seconds"].get<double>(), 1.5);
  ASSERT_EQ(j["cases"].size(), 3u);
  const nlohmann::json& failed = j["cases"][1];
  EXPECT_EQ(failed["suite"], "retries");
  EXPECT_EQ(failed["scenario"], "fixed-backoff");
  EXPECT_EQ(failed["file"], "scenarios/retries/fixed-backoff.toml");
  EXPECT_EQ(failed["mode"], "memory");
  EXPECT_EQ(failed["seed"], 8);
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["failures"].size(), 2u);
  EXPECT_EQ(failed["sim_seconds"], 30.0);
  EXPECT_EQ(failed["wall_seconds"], 0.25);
  EXPECT_EQ(failed["events"], 120);
  EXPECT_EQ(
      failed["replay"],
      "protean-harness run scenarios/retries/fixed-backoff.toml --protean-env memory --seed 8");
  EXPECT_EQ(failed["history"], "out/retries_fixed-backoff_memory_8.jsonl");
  EXPECT_EQ(j["cases"][0]["status"], "passed");
  EXPECT_EQ(j["cases"][2]["status"], "skipped");
  EXPECT_EQ(j["cases"][2]["skip_reason"], "REDIS_URL not set");
  const std::vector<std::string> keys = {
      "suite",    "scenario",    "file",         "mode",   "seed",   "status", "skip_reason",
      "failures", "sim_seconds", "wall_seconds", "events", "replay", "history"};
  for (const std::string& k : keys) EXPECT_TRUE(failed.contains(k)) << k;
}

TEST(JsonSummaryTest, SurvivesInvalidUtf8) {
  CaseResult r = Case("s", "x", "memory", 1);
  r.failures = {std::string("bad \xff")};
  nlohmann::json parsed;
  EXPECT_NO_THROW(parsed = nlohmann::json::parse(JsonSummary({r}, 0)));
  EXPECT_FALSE(parsed.is_null());
}

TEST(ProgressLineTest, Format) {
  EXPECT_EQ(ProgressLine(12, 40, 1, 0, 3.24), "[ 12/40] 1 failed, 0 skipped, 3.2 s");
  EXPECT_EQ(ProgressLine(7, 1200, 0, 2, 61), "[   7/1200] 0 failed, 2 skipped, 61.0 s");
}

TEST(SummaryTableTest, AggregatesByScenarioAndModeThenListsFailures) {
  const std::string t = SummaryTable(Sample());
  std::vector<std::string> lines;
  for (size_t p = 0, n; p < t.size(); p = n + 1) {
    n = t.find('\n', p);
    lines.push_back(t.substr(p, n - p));
  }
  ASSERT_GE(lines.size(), 6u) << t;
  EXPECT_EQ(lines[0].rfind("suite", 0), 0u) << t;
  EXPECT_NE(lines[0].find("simulated"), std::string::npos);
  EXPECT_EQ(lines[1].find_first_not_of('-'), std::string::npos) << t;
  // retries/fixed-backoff/memory: 2 seeds, 1 passed, 1 failed, 0 skipped, 60 s simulated.
  EXPECT_NE(lines[2].find("retries"), std::string::npos) << t;
  EXPECT_NE(
      lines[2].find("fixed-backoff  memory      2       1       1        0     60.0 s  0.5 s"),
      std::string::npos)
      << t;
  EXPECT_NE(lines[3].find("shutdown"), std::string::npos) << t;
  EXPECT_NE(t.find("total"), std::string::npos);
  EXPECT_NE(t.find("Skipped:\n  shutdown/sigterm [test]: REDIS_URL not set\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("FAILED retries/fixed-backoff [memory seed=8]\n"
                   "  replay: protean-harness run scenarios/retries/fixed-backoff.toml "
                   "--protean-env memory --seed 8\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("  - no_loss: t=+1.500s"), std::string::npos) << t;
}

}  // namespace
}  // namespace protean::harness
