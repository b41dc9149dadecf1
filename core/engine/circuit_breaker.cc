#include "core/engine/circuit_breaker.h"

#include "core/status.h"

namespace protean {

std::string_view CircuitStateName(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

std::string_view CircuitTransitionName(CircuitState state) {
  return state == CircuitState::kOpen ? "opened" : CircuitStateName(state);
}

CircuitBreaker::CircuitBreaker(int64_t threshold, Duration reset)
    : threshold_(threshold), reset_(reset) {
  PROTEAN_CHECK(threshold_ >= 1 && reset_ > Duration{0});
}

std::optional<TimePoint> CircuitBreaker::probe_at() const {
  if (state_ != CircuitState::kOpen) return std::nullopt;
  return opened_at_ + reset_;
}

std::optional<CircuitState> CircuitBreaker::Record(bool ok, TimePoint now) {
  if (ok) {
    consecutive_failures_ = 0;
    if (state_ != CircuitState::kHalfOpen) return std::nullopt;
    state_ = CircuitState::kClosed;
    return state_;
  }
  ++consecutive_failures_;
  const bool trips = state_ == CircuitState::kHalfOpen ||
                     (state_ == CircuitState::kClosed && consecutive_failures_ >= threshold_);
  if (!trips) return std::nullopt;
  state_ = CircuitState::kOpen;
  opened_at_ = now;
  return state_;
}

bool CircuitBreaker::ProbeDue(TimePoint now) {
  if (state_ != CircuitState::kOpen || now < opened_at_ + reset_) return false;
  state_ = CircuitState::kHalfOpen;
  return true;
}

}  // namespace protean
