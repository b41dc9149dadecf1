#include "harness/case_shard.h"

#include <charconv>

namespace protean::harness {
namespace {

std::optional<size_t> Number(const std::string& text) {
  size_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<CaseShard> ParseCaseShard(const std::string& text, std::string* error) {
  const size_t slash = text.find('/');
  std::optional<size_t> k =
      slash == std::string::npos ? std::nullopt : Number(text.substr(0, slash));
  std::optional<size_t> n =
      slash == std::string::npos ? std::nullopt : Number(text.substr(slash + 1));
  if (!k || !n) {
    *error = "--shard: expected K/N (like 2/4), got \"" + text + "\"";
    return std::nullopt;
  }
  if (*n < 1 || *n > kShardsMax || *k < 1 || *k > *n) {
    *error = "--shard " + text + ": expected 1 <= K <= N <= " + std::to_string(kShardsMax);
    return std::nullopt;
  }
  return CaseShard{*k, *n};
}

}  // namespace protean::harness
