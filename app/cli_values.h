#pragma once
// Checks of command-line values shared by the commands, with messages that
// say what is expected (CLI11's own range checks print the type's limits,
// e.g. a 300-digit bound for a non-negative double). Each returns "" when
// `text` is valid, else the message printed after the option's name:
//   protean: error: --workers: expected an integer in 1..256, got '0'

#include <cstdint>
#include <string>

namespace protean::cli {

// `--workers N` of `protean server` and `protean check`: 1..kWorkersMax.
inline constexpr int64_t kWorkersMax = 256;

std::string IntegerInRangeError(const std::string& text, int64_t lo, int64_t hi);
// A finite number of seconds in 0..max.
std::string SecondsError(const std::string& text, double max);

}  // namespace protean::cli
