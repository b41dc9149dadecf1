#pragma once
// The proxy loop's seeded random source (splitmix64): toxicity rolls, jitter
// and slicer piece sizes. Kept here rather than core/runtime/prng.h so the
// proxy does not depend on the engine. Not thread-safe: the loop thread owns
// it.

#include <cstdint>

namespace protean::harness::proxy::internal {

class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [lo, hi]; requires lo <= hi. Modulo bias is below 2^-40 for
  // the ranges used here (milliseconds, bytes), which is fine for faults.
  int64_t UniformInt(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    if (span == 0) return static_cast<int64_t>(Next());  // the full 64-bit range
    return lo + static_cast<int64_t>(Next() % span);
  }

  // True with probability num/den; requires num <= den, den > 0.
  bool Chance(uint64_t num, uint64_t den) { return Next() % den < num; }

 private:
  uint64_t state_;
};

}  // namespace protean::harness::proxy::internal
