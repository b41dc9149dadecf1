#pragma once
// The HTML report of a harness run (`protean-harness report`, `run --report
// DIR`): an index page of every case and one page per case with a timeline of
// its history, so that a failure is seen on a picture in seconds before it is
// looked for in a log (docs/report.md).
//
// Every page is one self-contained HTML file: its CSS and JavaScript
// (harness/report_assets/, embedded into the binary at build time) and its
// data are inline, and it fetches nothing. What a case page draws is computed
// here, in C++, as a CaseTimeline (lanes, points, spans, fault windows,
// per-message final states, the checkers' verdicts with the events they are
// about) and written into the page as compact JSON; the script only lays it
// out and draws it on a canvas.
//
// Report folder:
//   index.html                       every case, filterable
//   cases/<suite>_<scenario>__<mode>__<seed>.html   one per case with a history
//
// Not thread-safe; no state is kept between calls.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "harness/report.h"

namespace protean::harness {

struct History;
struct CheckResult;

// Times in a CaseTimeline are microseconds since the first event. Lane 0 is
// the harness (publishes, fault starts and ends, final_* and end); lane i > 0
// is the engine instance CaseTimeline::lanes[i], which gets every event that
// names it (signals and probes included).
struct TimelinePoint {
  int64_t t = 0;
  int lane = 0;
  std::string kind;  // the event's "event" field
  int message = -1;  // index into CaseTimeline::message_ids; -1: none
  std::string subscription;
  int64_t attempt = 0;
  std::string outcome;
  std::string detail;
  int64_t value = 0;
  size_t index = 0;  // position in History::events
};

enum class SpanKind {
  kAttempt,    // attempt_started .. attempt_finished (outcome = the attempt's, or
               // "crashed" / "abandoned" / "unfinished" when it never finished)
  kRetryWait,  // retry_scheduled .. due
  kDown,       // crashed .. the next engine_started of the instance (or the end)
  kDrain,      // shutdown_step signal:* .. drain_done / drain_timeout:* (or stopped)
};

inline constexpr size_t kNoEvent = static_cast<size_t>(-1);

struct TimelineSpan {
  SpanKind kind = SpanKind::kAttempt;
  int lane = 0;
  int64_t from = 0;
  int64_t until = 0;
  int message = -1;
  std::string subscription;
  int64_t attempt = 0;
  std::string outcome;
  std::string detail;
  size_t index = 0;             // the event that opened it
  size_t end_index = kNoEvent;  // the event that closed it
};

// A fault window. Faults without a fault_ended are instants (until == from),
// except consumer_crash (until the instance restarts, or the end) and a
// windowed kind whose end was never recorded (open: until the end).
struct FaultShade {
  std::string kind;
  int lane = -1;  // -1: every instance
  int64_t from = 0;
  int64_t until = 0;
  bool open = false;
  int64_t value = 0;
  size_t index = 0;  // the fault_started event
};

// The final state of one (subscription, message):
//   handled        handled successfully once (per instance, for event-store
//                  subscriptions that every instance reads)
//   duplicated     handled successfully more than once
//   dead_lettered  moved to the DLQ (or in the DLQ at the end)
//   dropped        attempts exhausted with the DLQ disabled / failure recorded
//   pending        still pending in the broker at the end
//   lost           none of the above, and the no_loss checker says so
//   unread         none of the above, and nobody was left to read it
struct MessageRow {
  int message = -1;  // index into CaseTimeline::message_ids
  std::string stream;
  std::string subscription;
  std::string state;
  int64_t attempts = 0;   // attempt_started events
  int64_t handlings = 0;  // successful attempts
  int64_t published = 0;
  int64_t final = -1;                   // first ok / dlq_moved / dropped; -1: none
  std::vector<std::string> instances;   // that delivered, claimed or attempted it, in order
  std::vector<std::string> handled_by;  // the instance of each successful attempt, in order
  int64_t last = 0;                     // its last event
  std::vector<int> faults;  // indices into CaseTimeline::faults overlapping [published, last] there
  bool flagged = false;     // a verdict names it
};

// One violation of one checker.
struct Verdict {
  std::string checker;
  std::string text;
  std::vector<size_t> events;  // History::events indices it is about
  std::vector<int> messages;   // indices into CaseTimeline::message_ids
  std::vector<int> faults;     // indices into CaseTimeline::faults overlapping those events
};

struct CaseTimeline {
  std::vector<std::string> lanes;  // "harness", then the instances
  int64_t start_us = 0;            // absolute time of the first event
  int64_t duration_us = 0;
  size_t events = 0;  // History::events.size()
  std::vector<std::string> message_ids;
  std::vector<TimelinePoint> points;  // in time order
  std::vector<TimelineSpan> spans;    // by `from`
  std::vector<FaultShade> faults;
  std::vector<MessageRow> messages;  // per subscription, in publish order
  std::vector<std::string> checkers_passed;
  std::vector<Verdict> verdicts;
};

// The timeline of one history and the verdicts of its checkers (RunCheckers).
// A violation whose checker names no events is matched to events by the
// "t=+S.SSSs <instance> <subscription> msg <id>" prefix that checkers write.
CaseTimeline BuildCaseTimeline(const History& history, const std::vector<CheckResult>& checks);

// A message whose outcome differs between two runs of one case (memory vs
// test): the `ordinal`-th message published for `subscription` in each.
struct MessageDiff {
  std::string subscription;
  int64_t ordinal = 0;
  int row_a = -1;  // index into a.messages; -1: no such message in a
  int row_b = -1;
};
// Messages paired by subscription and publish order; at most `limit` returned.
std::vector<MessageDiff> DiffTimelines(const CaseTimeline& a, const CaseTimeline& b, size_t limit);

// The JSON the case page's script draws (columnar, compact; see
// harness/report_assets/timeline.js for the reader).
std::string CaseTimelineJson(const CaseTimeline& timeline);

// One case of the report: its result and, when one could be read, its history.
struct ReportCase {
  CaseResult result;
  std::string history_file;  // resolved path; empty: no history
  std::string page;          // "cases/<name>.html" when it has a page
};

struct HtmlReportStats {
  size_t cases = 0;
  size_t pages = 0;
  size_t events = 0;
  double seconds = 0;
};

// The page of one case (`twin`: the same suite/scenario/seed in the other
// mode, drawn aligned below, or nullptr).
std::string CasePageHtml(const ReportCase& c, const CaseTimeline& timeline, const ReportCase* twin,
                         const CaseTimeline* twin_timeline);
std::string IndexPageHtml(const std::vector<ReportCase>& cases, const std::string& title);

// Writes index.html and cases/*.html into `out_dir` (created). Histories that
// cannot be read make a case without a page, never a failure; a folder that
// cannot be written is one.
Result<HtmlReportStats> WriteHtmlReport(std::vector<ReportCase> cases, const std::string& out_dir);

// The cases of a report from JSON summary files and history folders. A
// summary case's history is looked for at its recorded path, then beside the
// summary (its folder and histories/ in it), then in each folder by name
// (CaseFileStem + ".jsonl"). A history in a folder that no summary case
// claims becomes a case of its own, its status from the checkers. Fails on a
// summary that cannot be read or parsed.
Result<std::vector<ReportCase>> CollectReportCases(const std::vector<std::string>& summaries,
                                                   const std::vector<std::string>& history_dirs);

// "<suite>_<scenario>__<mode>__<seed>" with '/' and ' ' as '_': the base name
// of a case's history file (`run --history`) and of its page.
std::string CaseFileStem(const CaseResult& r);

}  // namespace protean::harness
