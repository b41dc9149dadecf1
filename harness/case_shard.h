#pragma once
// `protean-harness run --shard K/N`: one of N disjoint parts of a run's cases
// for a CI matrix. The cases (scenario files sorted by path, each under its
// seeds in order) are numbered 0, 1, ...; shard K (1-based) holds the cases
// whose number is K-1 modulo N, so the N shards cover every case exactly
// once, and the split depends only on the scenario files, --seed and
// --seeds, never on timing or --jobs.

#include <cstddef>
#include <optional>
#include <string>

namespace protean::harness {

struct CaseShard {
  size_t index = 1;  // K, 1..count
  size_t count = 1;  // N

  bool Holds(size_t case_number) const { return case_number % count == index - 1; }
};

inline constexpr size_t kShardsMax = 1000;

// "K/N" with 1 <= K <= N <= kShardsMax; otherwise nullopt and `error` says why.
std::optional<CaseShard> ParseCaseShard(const std::string& text, std::string* error);

}  // namespace protean::harness
