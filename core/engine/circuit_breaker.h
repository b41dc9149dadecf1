#pragma once
// A CircuitBreaker gates a stream subscription's reads when its handler keeps
// failing, as Protean's StreamSubscription does
// (server/subscription/stream_subscription.py:418-545, profiles.py:49-70):
//
//   CLOSED     normal. Each handler failure adds one to a count of
//              consecutive failures, each success resets it; the
//              `threshold`-th consecutive failure opens the breaker.
//   OPEN       reads paused for `reset` from the moment it opened. Outcomes of
//              attempts already running still arrive: a success resets the
//              count, a failure adds to it; neither changes the state.
//   HALF_OPEN  after `reset` (ProbeDue): one probe message. Its success closes
//              the breaker (count reset), its failure opens it again and
//              restarts the reset window.
//
// Only handler outcomes count (an ok, a failure, a timeout); a payload that
// does not decode and an expired command are not handler outcomes (Protean
// dead-letters the first before the breaker sees it). Pure state, no clock:
// the caller passes the loop's time, so the simulation is deterministic.
// Not thread-safe; a subscription uses it on its loop.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time.h"

namespace protean {

enum class CircuitState { kClosed, kOpen, kHalfOpen };

// The state as Protean's CircuitBreakerState.value: "closed", "open", "half_open"
// (/readyz's circuit_state, the gauge's `state` label).
std::string_view CircuitStateName(CircuitState state);
// A transition into `state` as Protean names it (the `state` label of
// protean.subscription.circuit_breaker.state and the trace event
// subscription.circuit_breaker.<name>): "opened", "closed", "half_open".
std::string_view CircuitTransitionName(CircuitState state);

class CircuitBreaker {
 public:
  // threshold >= 1, reset > 0 (checked).
  CircuitBreaker(int64_t threshold, Duration reset);

  CircuitState state() const { return state_; }
  bool permits_reads() const { return state_ != CircuitState::kOpen; }
  int64_t consecutive_failures() const { return consecutive_failures_; }
  int64_t threshold() const { return threshold_; }
  // When an OPEN breaker may let a probe through; nullopt unless OPEN.
  std::optional<TimePoint> probe_at() const;

  // One handler outcome at `now`. Returns the state entered, if it changed.
  std::optional<CircuitState> Record(bool ok, TimePoint now);
  // OPEN and now >= probe_at(): moves to HALF_OPEN and returns true.
  bool ProbeDue(TimePoint now);

 private:
  int64_t threshold_;
  Duration reset_;
  CircuitState state_ = CircuitState::kClosed;
  int64_t consecutive_failures_ = 0;
  TimePoint opened_at_{};
};

}  // namespace protean
