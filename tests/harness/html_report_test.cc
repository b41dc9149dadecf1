#include "harness/html_report.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/checkers.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;

CaseTimeline Timeline(const History& h) { return BuildCaseTimeline(h, RunCheckers(h)); }

int MessageIndex(const CaseTimeline& t, const std::string& id) {
  auto it = std::find(t.message_ids.begin(), t.message_ids.end(), id);
  return it == t.message_ids.end() ? -1 : static_cast<int>(it - t.message_ids.begin());
}

const MessageRow* Row(const CaseTimeline& t, const std::string& id) {
  const int m = MessageIndex(t, id);
  for (const MessageRow& r : t.messages) {
    if (r.message == m) return &r;
  }
  return nullptr;
}

const Verdict* VerdictOf(const CaseTimeline& t, const std::string& checker) {
  for (const Verdict& v : t.verdicts) {
    if (v.checker == checker) return &v;
  }
  return nullptr;
}

int LaneOf(const CaseTimeline& t, const std::string& instance) {
  auto it = std::find(t.lanes.begin(), t.lanes.end(), instance);
  return it == t.lanes.end() ? -1 : static_cast<int>(it - t.lanes.begin());
}

// m1 is delivered to w1 while w1's broker is down and acked there without a
// handling: lost. m2 is handled by w0.
History LostOnW1DuringOutage() {
  return HistoryBuilder()
      .StreamSub("Billing", "orders")
      .Start("w0")
      .Start("w1")
      .Publish("m1")
      .Publish("m2")
      .At(100)
      .Fault(true, "broker_unavailable", "w1")
      .At(150)
      .Deliver("w1", "Billing", "m1")
      .At(160)
      .Acked("w1", "Billing", "m1")
      .At(200)
      .Handled("w0", "Billing", "m2")
      .At(400)
      .Fault(false, "broker_unavailable", "w1")
      .At(500)
      .Build();
}

TEST(HtmlReportModelTest, LanesAreTheHarnessThenEachInstance) {
  const CaseTimeline t = Timeline(LostOnW1DuringOutage());
  EXPECT_EQ(t.lanes, (std::vector<std::string>{"harness", "w0", "w1"}));
  EXPECT_EQ(t.start_us, HistoryBuilder::kStartUs);
  EXPECT_EQ(t.duration_us, 500'000);
  for (const TimelinePoint& p : t.points) {
    if (p.kind == "published" || p.kind == "fault_started") {
      EXPECT_EQ(p.lane, 0) << p.kind;
    }
    if (p.kind == "delivered" && p.message == MessageIndex(t, "m1")) {
      EXPECT_EQ(p.lane, LaneOf(t, "w1"));
    }
  }
  EXPECT_TRUE(std::is_sorted(t.points.begin(), t.points.end(),
                             [](const auto& a, const auto& b) { return a.t < b.t; }));
}

TEST(HtmlReportModelTest, LostMessageNamesItsInstanceAndFault) {
  const CaseTimeline t = Timeline(LostOnW1DuringOutage());
  ASSERT_EQ(t.faults.size(), 1u);
  const FaultShade& f = t.faults[0];
  EXPECT_EQ(f.kind, "broker_unavailable");
  EXPECT_EQ(f.lane, LaneOf(t, "w1"));
  EXPECT_EQ(f.from, 100'000);
  EXPECT_EQ(f.until, 400'000);
  EXPECT_FALSE(f.open);

  const MessageRow* m1 = Row(t, "m1");
  ASSERT_NE(m1, nullptr);
  EXPECT_EQ(m1->state, "lost");
  EXPECT_EQ(m1->instances, std::vector<std::string>{"w1"});
  EXPECT_EQ(m1->attempts, 0);
  EXPECT_EQ(m1->final, -1);
  EXPECT_TRUE(m1->flagged);
  EXPECT_EQ(m1->faults, std::vector<int>{0});

  const MessageRow* m2 = Row(t, "m2");
  ASSERT_NE(m2, nullptr);
  EXPECT_EQ(m2->state, "handled");
  EXPECT_EQ(m2->handled_by, std::vector<std::string>{"w0"});
  EXPECT_EQ(m2->final, 200'000);
  EXPECT_FALSE(m2->flagged);
  EXPECT_TRUE(m2->faults.empty()) << "the outage hit w1 only";

  const Verdict* v = VerdictOf(t, "no_loss");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->messages, std::vector<int>{MessageIndex(t, "m1")});
  EXPECT_EQ(v->faults, std::vector<int>{0});
  ASSERT_FALSE(v->events.empty());
  // The verdict points at m1's publish and its delivery on w1.
  const History h = LostOnW1DuringOutage();
  std::vector<std::string> kinds;
  for (size_t i : v->events) kinds.push_back(h.events[i]["event"].get<std::string>());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "published"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "delivered"), kinds.end());
  EXPECT_EQ(std::find(t.checkers_passed.begin(), t.checkers_passed.end(), "no_loss"),
            t.checkers_passed.end());
}

// w0 handles m1 and crashes before acking it; w1 claims m1 and handles it
// again: allowed at least once, forbidden by duplicates_max = 0.
History DuplicateAfterCrashOfW0() {
  return HistoryBuilder()
      .StreamSub("Shipping", "orders", {{"claim_idle_seconds", 2}})
      .Expect("duplicates_max", 0)
      .Start("w0")
      .Start("w1")
      .Publish("m1")
      .At(10)
      .Deliver("w0", "Shipping", "m1")
      .Attempt("w0", "Shipping", "m1")
      .At(500)
      .Fault(true, "consumer_crash", "w0")
      .Crash("w0")
      .At(2600)
      .Claimed("w1", "Shipping", "m1", 2)
      .At(2610)
      .Attempt("w1", "Shipping", "m1", 2)
      .Acked("w1", "Shipping", "m1", 2)
      .At(3000)
      .Build();
}

TEST(HtmlReportModelTest, DuplicateNamesBothInstancesAndTheCrash) {
  const History h = DuplicateAfterCrashOfW0();
  const CaseTimeline t = Timeline(h);
  const MessageRow* m1 = Row(t, "m1");
  ASSERT_NE(m1, nullptr);
  EXPECT_EQ(m1->state, "duplicated");
  EXPECT_EQ(m1->handlings, 2);
  EXPECT_EQ(m1->attempts, 2);
  EXPECT_EQ(m1->handled_by, (std::vector<std::string>{"w0", "w1"}));
  EXPECT_EQ(m1->final, 10'000) << "time to final: the first handling";
  EXPECT_EQ(m1->last, 2'610'000);
  EXPECT_TRUE(m1->flagged);

  // The crash is a window from the crash to the end (no restart), on w0,
  // and w0's lane shows it as down.
  ASSERT_EQ(t.faults.size(), 1u);
  EXPECT_EQ(t.faults[0].kind, "consumer_crash");
  EXPECT_EQ(t.faults[0].lane, LaneOf(t, "w0"));
  EXPECT_EQ(t.faults[0].from, 500'000);
  EXPECT_EQ(t.faults[0].until, 3'000'000);
  EXPECT_TRUE(t.faults[0].open);
  bool down = false;
  for (const TimelineSpan& s : t.spans) {
    if (s.kind == SpanKind::kDown) {
      down = true;
      EXPECT_EQ(s.lane, LaneOf(t, "w0"));
      EXPECT_EQ(s.from, 500'000);
      EXPECT_EQ(s.until, 3'000'000);
    }
  }
  EXPECT_TRUE(down);

  const Verdict* v = VerdictOf(t, "duplicates");
  ASSERT_NE(v, nullptr);
  EXPECT_NE(v->text.find("duplicates_max"), std::string::npos);
  ASSERT_EQ(v->events.size(), 1u);
  EXPECT_EQ(h.events[v->events[0]]["event"], "attempt_finished");
  EXPECT_EQ(h.events[v->events[0]]["instance"], "w1");
  EXPECT_EQ(v->messages, std::vector<int>{MessageIndex(t, "m1")});
  EXPECT_EQ(v->faults, std::vector<int>{0}) << "the crash of w0, though w1 handled it";
}

TEST(HtmlReportModelTest, UnjustifiedDuplicatePointsAtBothHandlings) {
  const History h = HistoryBuilder()
                        .StreamSub("Billing", "orders")
                        .Start("w0")
                        .Publish("m1")
                        .Handled("w0", "Billing", "m1")
                        .At(50)
                        .Attempt("w0", "Billing", "m1")
                        .Build();
  const CaseTimeline t = Timeline(h);
  const Verdict* v = VerdictOf(t, "duplicates");
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->events.size(), 2u);
  for (size_t i : v->events) EXPECT_EQ(h.events[i]["event"], "attempt_finished");
  EXPECT_TRUE(v->faults.empty());
}

TEST(HtmlReportModelTest, AttemptsAndRetryWaitsAreSpans) {
  const History h = HistoryBuilder()
                        .StreamSub("Billing", "orders")
                        .Start("w0")
                        .Publish("m1")
                        .At(10)
                        .Msg("attempt_started", "w0", "Billing", "m1", 1)
                        .At(30)
                        .Msg("attempt_finished", "w0", "Billing", "m1", 1,
                             {{"outcome", "failed"}, {"detail", "boom"}})
                        .Retry("w0", "Billing", "m1", 1, 1000)
                        .At(1030)
                        .Attempt("w0", "Billing", "m1", 2)
                        .Acked("w0", "Billing", "m1", 2)
                        .Build();
  const CaseTimeline t = Timeline(h);
  std::vector<const TimelineSpan*> attempts, waits;
  for (const TimelineSpan& s : t.spans) {
    if (s.kind == SpanKind::kAttempt) attempts.push_back(&s);
    if (s.kind == SpanKind::kRetryWait) waits.push_back(&s);
  }
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0]->from, 10'000);
  EXPECT_EQ(attempts[0]->until, 30'000);
  EXPECT_EQ(attempts[0]->outcome, "failed");
  EXPECT_EQ(attempts[0]->detail, "boom");
  EXPECT_EQ(attempts[0]->lane, 1);
  EXPECT_EQ(attempts[1]->outcome, "ok");
  EXPECT_EQ(attempts[1]->attempt, 2);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0]->from, 30'000);
  EXPECT_EQ(waits[0]->until, 1'030'000);
  for (const TimelinePoint& p : t.points) {
    EXPECT_NE(p.kind, "attempt_started") << "attempts are spans, not points";
  }
  const MessageRow* m1 = Row(t, "m1");
  ASSERT_NE(m1, nullptr);
  EXPECT_EQ(m1->state, "handled");
  EXPECT_EQ(m1->attempts, 2);
  EXPECT_EQ(m1->final, 1'030'000);
  EXPECT_TRUE(t.verdicts.empty());
}

TEST(HtmlReportModelTest, AttemptCutByACrashEndsThere) {
  const History h = HistoryBuilder()
                        .StreamSub("Billing", "orders")
                        .Start("w0")
                        .Publish("m1")
                        .At(10)
                        .Msg("attempt_started", "w0", "Billing", "m1", 1)
                        .At(40)
                        .Crash("w0")
                        .At(100)
                        .Build();
  const CaseTimeline t = Timeline(h);
  ASSERT_FALSE(t.spans.empty());
  EXPECT_EQ(t.spans[0].kind, SpanKind::kAttempt);
  EXPECT_EQ(t.spans[0].until, 40'000);
  EXPECT_EQ(t.spans[0].outcome, "crashed");
}

TEST(HtmlReportModelTest, ViolationWithoutEventsIsMatchedByItsPrefix) {
  const History h = LostOnW1DuringOutage();
  CheckResult c{"made_up", {"t=+0.150s w1 Billing msg m1: something about the delivery"}, {}};
  const CaseTimeline t = BuildCaseTimeline(h, {c});
  ASSERT_EQ(t.verdicts.size(), 1u);
  ASSERT_EQ(t.verdicts[0].events.size(), 1u);
  EXPECT_EQ(h.events[t.verdicts[0].events[0]]["event"], "delivered");
  EXPECT_EQ(t.verdicts[0].faults, std::vector<int>{0});
}

TEST(HtmlReportModelTest, DiffPairsMessagesByPublishOrder) {
  const CaseTimeline a = Timeline(LostOnW1DuringOutage());
  const History ok = HistoryBuilder()
                         .StreamSub("Billing", "orders")
                         .Start("w0")
                         .Publish("x1")
                         .Publish("x2")
                         .Handled("w0", "Billing", "x1")
                         .Handled("w0", "Billing", "x2")
                         .Build();
  const CaseTimeline b = Timeline(ok);
  const std::vector<MessageDiff> d = DiffTimelines(a, b, 10);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].subscription, "Billing");
  EXPECT_EQ(d[0].ordinal, 0);
  EXPECT_EQ(a.messages[d[0].row_a].state, "lost");
  EXPECT_EQ(b.messages[d[0].row_b].state, "handled");
}

TEST(HtmlReportJsonTest, ColumnsHaveOneEntryPerItem) {
  const CaseTimeline t = Timeline(DuplicateAfterCrashOfW0());
  const nlohmann::json j = nlohmann::json::parse(CaseTimelineJson(t));
  EXPECT_EQ(j["lanes"], nlohmann::json(t.lanes));
  EXPECT_EQ(j["str"][0], "");
  for (const auto& [name, column] : j["pt"].items()) {
    EXPECT_EQ(column.size(), t.points.size()) << name;
  }
  for (const auto& [name, column] : j["sp"].items()) {
    EXPECT_EQ(column.size(), t.spans.size()) << name;
  }
  for (const auto& [name, column] : j["rows"].items()) {
    EXPECT_EQ(column.size(), t.messages.size()) << name;
  }
  const auto& rows = j["rows"];
  const size_t r = 0;
  EXPECT_EQ(j["str"][rows["state"][r].get<int>()], "duplicated");
  EXPECT_EQ(j["str"][rows["by"][r].get<int>()], "w0,w1");
  EXPECT_EQ(j["ids"][rows["m"][r].get<int>()], "m1");
  EXPECT_EQ(j["verdicts"][0]["checker"], "duplicates");
}

ReportCase CaseWith(const std::string& mode, const std::string& history_file) {
  ReportCase c;
  c.result.suite = "chaos";
  c.result.scenario = "lost on w1";
  c.result.mode = mode;
  c.result.seed = 3;
  c.result.failures = {"no_loss: t=+0.000s Billing msg m1: published to orders but lost"};
  c.result.replay_command = "protean-harness run scenarios/chaos/x.toml --seed 3";
  c.history_file = history_file;
  return c;
}

TEST(HtmlReportPageTest, PagesAreSelfContainedAndScriptSafe) {
  History h = LostOnW1DuringOutage();
  h.events[4]["detail"] = "</script><img src=x onerror=alert(1)>";
  const CaseTimeline t = Timeline(h);
  const std::string page = CasePageHtml(CaseWith("memory", "h.jsonl"), t, nullptr, nullptr);
  size_t opened = 0, closed = 0;
  for (size_t at = page.find("<script"); at != std::string::npos;
       at = page.find("<script", at + 1)) {
    ++opened;
  }
  for (size_t at = page.find("</script"); at != std::string::npos;
       at = page.find("</script", at + 1)) {
    ++closed;
  }
  EXPECT_EQ(opened, closed);
  EXPECT_EQ(opened, 4u) << "data, common.js, timeline.js, case_page.js";
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos) << "nothing is loaded";
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_NE(page.find("var Timeline"), std::string::npos);
  EXPECT_NE(page.find("id=\"selfcheck\""), std::string::npos);

  const std::string index = IndexPageHtml({CaseWith("memory", "")}, "run");
  EXPECT_NE(index.find("\"failure_count\":1"), std::string::npos);
  EXPECT_EQ(index.find("https://"), std::string::npos);
}

TEST(HtmlReportWriteTest, WritesIndexAndPagesAndPairsModes) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("html_report_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string memory = (dir / "memory.jsonl").string();
  const std::string test = (dir / "test.jsonl").string();
  std::ofstream(memory) << LostOnW1DuringOutage().Serialize();
  std::ofstream(test) << DuplicateAfterCrashOfW0().Serialize();
  ReportCase no_history = CaseWith("memory", "");
  no_history.result.seed = 4;
  Result<HtmlReportStats> stats = WriteHtmlReport(
      {CaseWith("memory", memory), CaseWith("test", test), no_history}, (dir / "out").string());
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->cases, 3u);
  EXPECT_EQ(stats->pages, 2u);
  EXPECT_TRUE(fs::exists(dir / "out" / "index.html"));
  const fs::path page = dir / "out" / "cases" / "chaos_lost_on_w1__memory__3.html";
  ASSERT_TRUE(fs::exists(page));
  std::stringstream text;
  text << std::ifstream(page).rdbuf();
  EXPECT_NE(text.str().find("\"diff\":[{"), std::string::npos) << "paired with the test run";
  EXPECT_NE(text.str().find("\"mode\":\"test\""), std::string::npos);
  fs::remove_all(dir);
}

TEST(HtmlReportInputTest, SummaryReadsBack) {
  CaseResult r = CaseWith("memory", "").result;
  r.history_path = "h/chaos_lost_on_w1__memory__3.jsonl";
  r.wall_seconds = 0.5;
  CaseResult skipped = r;
  skipped.skipped = true;
  skipped.failures.clear();
  skipped.skip_reason = "no redis";
  Result<std::vector<CaseResult>> back = ParseJsonSummary(JsonSummary({r, skipped}, 1.0));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].failures, r.failures);
  EXPECT_EQ((*back)[0].history_path, r.history_path);
  EXPECT_EQ((*back)[0].seed, 3u);
  EXPECT_DOUBLE_EQ((*back)[0].wall_seconds, 0.5);
  EXPECT_TRUE((*back)[1].skipped);
  EXPECT_EQ((*back)[1].skip_reason, "no redis");
  EXPECT_EQ(CaseFileStem(r), "chaos_lost_on_w1__memory__3");
  EXPECT_FALSE(ParseJsonSummary("[]").ok());
}

}  // namespace
}  // namespace protean::harness
