#pragma once
// Ranges for the duration and count keys of domain.toml (and of scenario
// files): one place that says what a value may be, so `protean check`,
// `protean config show`, the harness and the server reject the same values
// with the same message.
//
// Why these limits. A configured duration becomes int64 microseconds
// (core/time.h) and is added to a clock reading (about 1.8e15 us today);
// int64 ends at 9.2e18 us. Capping every duration at kDurationSecondsMax
// (1e9 s, about 31.7 years, 1e15 us) keeps that sum, and the sum with a
// duration multiplied by a small factor (jitter, a capped backoff), more than
// three orders of magnitude away from overflow. Counts stop at kCountMax
// (1e9) so the product of two counts fits int64. nan and inf are never valid.
//
// A minimum above zero exists where a smaller value would make a timer fire
// back to back (a busy loop): each key's reason is in docs/configuration.md.
//
// Messages (the caller appends ", got <value>"):
//   below the range or not finite : "expected a number > 0" (or ">= 0", or
//                                   "0 or a number >= MIN" when 0 is allowed)
//   0 < value < min               : "expected at least MIN (REASON)"
//   above the range               : "expected at most MAX"
//   counts                        : "expected an integer >= MIN" /
//                                   "expected an integer <= MAX"
// Does not include toml++.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace protean::config {

inline constexpr double kDurationSecondsMax = 1e9;
inline constexpr int64_t kDurationMillisMax = 1'000'000'000'000;  // 1e9 s in ms
inline constexpr int64_t kCountMax = 1'000'000'000;

// A duration, in the unit of its key (seconds for *_seconds, hours for
// *_hours): accepted values are [min, max], plus 0 when allow_zero. min == 0
// means "any value > 0". max * the key's unit must stay <= 1e9 s.
struct DurationBounds {
  double min = 0;
  double max = kDurationSecondsMax;
  bool allow_zero = false;
  std::string_view min_reason = {};  // why `min`, shown when a value is below it
};

// An integer count (or integer milliseconds, with max <= kDurationMillisMax).
struct CountBounds {
  int64_t min = 0;
  int64_t max = kCountMax;
};

// nullopt when `value` is inside `bounds`; else the "expected ..." text.
std::optional<std::string> DurationProblem(double value, const DurationBounds& bounds);
std::optional<std::string> CountProblem(int64_t value, const CountBounds& bounds);

// What a value of the wrong type is expected to be: "a number > 0", "an
// integer >= 1" (the lower side of the range).
std::string DescribeDuration(const DurationBounds& bounds);
std::string DescribeCount(const CountBounds& bounds);

}  // namespace protean::config
