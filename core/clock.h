#pragma once
// A Clock is the only source of "now" for the engine and the memory adapters.
//
// Implementations: RealClock (core/runtime/real_clock.h, reads the system
// clock; test mode and the shipped server) and SimClock
// (core/runtime/sim_executor.h, moves only when the SimExecutor jumps to the
// next timer). Thread-safety: Now() may be called from any thread.

#include "core/time.h"

namespace protean {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

}  // namespace protean
