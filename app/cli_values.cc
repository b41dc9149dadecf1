#include "app/cli_values.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace protean::cli {

std::string IntegerInRangeError(const std::string& text, int64_t lo, int64_t hi) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool parsed = !text.empty() && ec == std::errc() && end == text.data() + text.size();
  if (parsed && value >= lo && value <= hi) return "";
  return "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got '" +
         text + "'";
}

std::string SecondsError(const std::string& text, double max) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const bool parsed = !text.empty() && end == text.c_str() + text.size();
  if (parsed && std::isfinite(value) && value >= 0 && value <= max) return "";
  std::ostringstream bound;
  bound << max;
  return "expected a number of seconds in 0.." + bound.str() + ", got '" + text + "'";
}

}  // namespace protean::cli
