#include "core/config/bounds.h"

#include <cmath>

#include "core/config/internal/toml_util.h"

namespace protean::config {

using internal::FormatDouble;

std::string DescribeDuration(const DurationBounds& bounds) {
  if (bounds.allow_zero && bounds.min > 0) return "0 or a number >= " + FormatDouble(bounds.min);
  return bounds.allow_zero ? "a number >= 0" : "a number > 0";
}

std::string DescribeCount(const CountBounds& bounds) {
  return "an integer >= " + std::to_string(bounds.min);
}

std::optional<std::string> DurationProblem(double value, const DurationBounds& bounds) {
  if (!std::isfinite(value) || value < 0 || (value == 0 && !bounds.allow_zero)) {
    return "expected " + DescribeDuration(bounds);
  }
  if (value == 0) return std::nullopt;
  if (value < bounds.min) {
    std::string out = "expected at least " + FormatDouble(bounds.min);
    if (bounds.allow_zero) out = "expected 0 or at least " + FormatDouble(bounds.min);
    if (!bounds.min_reason.empty()) out += " (" + std::string(bounds.min_reason) + ")";
    return out;
  }
  if (value > bounds.max) return "expected at most " + FormatDouble(bounds.max);
  return std::nullopt;
}

std::optional<std::string> CountProblem(int64_t value, const CountBounds& bounds) {
  if (value < bounds.min) return "expected " + DescribeCount(bounds);
  if (value > bounds.max) return "expected an integer <= " + std::to_string(bounds.max);
  return std::nullopt;
}

}  // namespace protean::config
