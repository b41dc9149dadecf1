#pragma once
// OutcomeRecorder: DomainTest's account of what happened to each (handler,
// message) pair, from the engine's events (core/engine/engine_events.h), so
// a test counts outcomes, never time. Private to testing/domain_test.cc; not
// installed.
//
// Thread-safety: OnEngineEvent runs on the engine loop (a thread of its own
// in test mode); Settled and Of are called from the test's thread; a mutex
// guards the state.

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "core/engine/engine_events.h"
#include "core/time.h"

namespace protean::testing::internal {

// Where one (handler, message) pair stands, from the engine's events.
enum class PairState { kInFlight, kRetryWaiting, kHandled, kDeadLettered, kDropped };

struct Pair {
  PairState state = PairState::kInFlight;
  bool last_attempt_ok = false;
  TimePoint retry_due{};
};

struct Counts {
  int64_t handled = 0, attempts = 0, retried = 0, dead_lettered = 0, dropped = 0;
};

// Records the events of the engine per (handler, message id). Called on the
// loop thread; read from the test's thread under the mutex.
class OutcomeRecorder : public EngineObserver {
 public:
  explicit OutcomeRecorder(std::set<std::string> event_store_handlers)
      : event_store_handlers_(std::move(event_store_handlers)) {}

  void OnEngineEvent(const EngineEvent& e) override {
    if (e.subscription.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    // Some events name the broker entry only (a retry): the message is the
    // one an earlier event of that entry named.
    std::string message_id = e.message_id;
    if (!e.entry_id.empty()) {
      auto [it, inserted] = entries_.try_emplace({e.subscription, e.entry_id}, message_id);
      if (!inserted && message_id.empty()) message_id = it->second;
      if (inserted && message_id.empty()) entries_.erase(it);
    }
    if (message_id.empty()) return;
    Pair& p = pairs_[{e.subscription, message_id}];
    Counts& c = counts_[e.subscription];
    switch (e.kind) {
      case EngineEventKind::kAttemptStarted:
        ++c.attempts;
        p.state = PairState::kInFlight;
        break;
      case EngineEventKind::kAttemptFinished:
        p.last_attempt_ok = e.outcome == "ok";
        if (p.last_attempt_ok && event_store_handlers_.count(e.subscription) > 0)
          Settle(p, c, PairState::kHandled);
        break;
      case EngineEventKind::kAcked:
        if (p.last_attempt_ok && p.state == PairState::kInFlight) Settle(p, c, PairState::kHandled);
        break;
      case EngineEventKind::kRetryScheduled:
        ++c.retried;
        p.state = PairState::kRetryWaiting;
        p.retry_due = e.due;
        break;
      case EngineEventKind::kDlqMoved:
        Settle(p, c, PairState::kDeadLettered);
        break;
      case EngineEventKind::kDropped:
        Settle(p, c, PairState::kDropped);
        break;
      default:
        break;
    }
  }

  // Settled: final, or waiting for a retry due after `horizon`. A pair with
  // no event yet is not settled.
  bool Settled(const std::string& handler, const std::string& id, TimePoint horizon) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pairs_.find({handler, id});
    if (it == pairs_.end()) return false;
    const Pair& p = it->second;
    if (p.state == PairState::kInFlight) return false;
    return p.state != PairState::kRetryWaiting || p.retry_due > horizon;
  }

  Counts Of(const std::string& handler) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counts_.find(handler);
    return it == counts_.end() ? Counts{} : it->second;
  }

 private:
  static void Settle(Pair& p, Counts& c, PairState final_state) {
    if (p.state == final_state) return;
    p.state = final_state;
    if (final_state == PairState::kHandled) ++c.handled;
    if (final_state == PairState::kDeadLettered) ++c.dead_lettered;
    if (final_state == PairState::kDropped) ++c.dropped;
  }

  const std::set<std::string> event_store_handlers_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Pair> pairs_;           // (handler, message id)
  std::map<std::pair<std::string, std::string>, std::string> entries_;  // (handler, entry) -> id
  std::map<std::string, Counts> counts_;
};

}  // namespace protean::testing::internal
