// circuit_breaker: each stream subscription's breaker moves as its declared
// policy says (circuit_breaker_threshold, circuit_breaker_reset_seconds; the
// oracle's resolution, checkers_oracle.h), judged from the attempts the
// history shows, never from the engine's own state machine:
//   - it opens exactly when the threshold-th consecutive handler failure of
//     an instance's subscription (ok resets; undecodable is no handler
//     outcome) is reported, and at no other time;
//   - no attempt starts while it is open (beyond the clock slack after the
//     opening: one a worker had already begun) and it reports its probe
//     time as opened + reset;
//   - half_open comes from open, not before opened + reset;
//   - while half_open at most one attempt runs, and its outcome decides:
//     ok -> closed, a failure -> opened;
//   - closed comes only from half_open.
// Each instance's run starts CLOSED (the breaker lives in memory).

#include <map>
#include <utility>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

enum class Breaker { kClosed, kOpen, kHalfOpen };

struct Model {
  Breaker state = Breaker::kClosed;
  int64_t failures = 0;
  int64_t opened_at = 0;
  // What the attempts so far make the next transition: "" none.
  std::string owed;
  size_t owed_since = kNone;
  int64_t probe_starts = 0;
};

bool HandlerOutcome(const Ev& e) {
  return e.kind == "attempt_finished" && e.outcome != "undecodable";
}

class CircuitJudge {
 public:
  CircuitJudge(const HistoryIndex& ix, CheckResult* r) : ix_(ix), r_(r) {}

  void OnEvent(const Ev& e) {
    if (e.kind == "engine_started") {
      for (auto it = models_.begin(); it != models_.end();) {
        it = it->first.first == e.instance ? models_.erase(it) : std::next(it);
      }
      return;
    }
    const SubInfo* sub = ix_.subscription(e.subscription);
    if (sub == nullptr || sub->event_store) return;
    Model& m = models_[{e.instance, e.subscription}];
    if (e.kind == "attempt_started") {
      Started(m, e);
    } else if (HandlerOutcome(e)) {
      Outcome(*sub, m, e);
    } else if (e.kind == "circuit_breaker") {
      Transition(*sub, m, e);
    }
  }

 private:
  void Fail(const Ev& e, const std::string& what) {
    r_->Add(ix_.Where(e) + ": " + what, {e.index});
  }

  void Started(Model& m, const Ev& e) {
    if (m.state == Breaker::kOpen && e.t > m.opened_at + ix_.slack_us()) {
      Fail(e, "attempt " + std::to_string(e.attempt) +
                  " started while the circuit was open (since " + ix_.Rel(m.opened_at) + ")");
    }
    if (m.state == Breaker::kHalfOpen && ++m.probe_starts > 1) {
      Fail(e, "a second attempt started while half_open (one probe only)");
    }
  }

  void Outcome(const SubInfo& sub, Model& m, const Ev& e) {
    if (!m.owed.empty()) {
      r_->Add(ix_.Where(ix_.event(m.owed_since)) + ": expected the circuit to turn " + m.owed +
                  " here, but attempts went on",
              {m.owed_since, e.index});
      m.owed.clear();
    }
    const bool ok = e.outcome == "ok";
    m.failures = ok ? 0 : m.failures + 1;
    if (m.state == Breaker::kHalfOpen) {
      Owe(m, ok ? "closed" : "opened", e);
    } else if (m.state == Breaker::kClosed && !ok &&
               m.failures == sub.config.circuit_breaker_threshold) {
      Owe(m, "opened", e);
    }
  }

  void Owe(Model& m, const char* what, const Ev& e) {
    m.owed = what;
    m.owed_since = e.index;
  }

  void Transition(const SubInfo& sub, Model& m, const Ev& e) {
    const int64_t reset_us =
        static_cast<int64_t>(sub.config.circuit_breaker_reset_seconds * 1e6 + 0.5);
    if (e.outcome != m.owed && e.outcome != "half_open") {
      Fail(e, "circuit " + e.outcome + " after " + std::to_string(m.failures) +
                  " consecutive failure(s), declared threshold " +
                  std::to_string(sub.config.circuit_breaker_threshold) +
                  (m.owed.empty() ? "" : " (expected " + m.owed + ")"));
    }
    m.owed.clear();
    if (e.outcome == "opened") {
      m.state = Breaker::kOpen;
      m.opened_at = e.t;
      if (e.due < e.t + reset_us - 1 || e.due > e.t + reset_us + 1) {
        Fail(e, "circuit opened with its probe at " + ix_.Rel(e.due) + ", declared reset " +
                    std::to_string(sub.config.circuit_breaker_reset_seconds) + " s");
      }
    } else if (e.outcome == "half_open") {
      if (m.state != Breaker::kOpen) Fail(e, "half_open while the circuit was not open");
      if (e.t + 1 < m.opened_at + reset_us) {
        Fail(e, "half_open before the reset window ended at " + ix_.Rel(m.opened_at + reset_us));
      }
      m.state = Breaker::kHalfOpen;
      m.probe_starts = 0;
    } else if (e.outcome == "closed") {
      m.state = Breaker::kClosed;
      m.failures = 0;
    } else {
      Fail(e, "unknown circuit transition '" + e.outcome + "'");
    }
  }

  const HistoryIndex& ix_;
  CheckResult* r_;
  std::map<std::pair<std::string, std::string>, Model> models_;
};

}  // namespace

CheckResult Circuit(const HistoryIndex& ix) {
  CheckResult r{"circuit_breaker", {}, {}};
  CircuitJudge judge(ix, &r);
  for (const Ev& e : ix.events()) judge.OnEvent(e);
  return r;
}

}  // namespace protean::harness::internal
