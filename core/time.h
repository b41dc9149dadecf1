#pragma once
// Time types shared by the engine and every adapter.
//
// TimePoint is microseconds since the Unix epoch. It is only ever produced by
// a Clock (core/clock.h): engine and memory-adapter code never read the wall
// clock themselves. The system_clock tag only fixes the epoch.

#include <chrono>
#include <cstdint>
#include <string>

namespace protean {

using Duration = std::chrono::microseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Duration>;

inline constexpr Duration Millis(int64_t ms) { return std::chrono::milliseconds(ms); }
inline constexpr Duration Seconds(int64_t s) { return std::chrono::seconds(s); }
// Fractional seconds as found in configuration ("retry_delay_seconds = 0.5").
inline Duration SecondsF(double s) {
  return Duration(static_cast<int64_t>(s * 1e6 + (s >= 0 ? 0.5 : -0.5)));
}

inline int64_t ToMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline int64_t ToMicros(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromMillis(int64_t ms) { return TimePoint(Millis(ms)); }
inline TimePoint FromMicros(int64_t us) { return TimePoint(Duration(us)); }
inline double ToSecondsF(Duration d) { return static_cast<double>(d.count()) / 1e6; }

// ISO-8601 UTC with milliseconds: "2026-01-01T00:00:00.000Z".
std::string FormatTime(TimePoint t);

}  // namespace protean
