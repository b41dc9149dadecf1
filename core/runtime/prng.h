#pragma once
// The one seeded random source of a run (xoshiro256**, seeded through
// splitmix64). Integer helpers only: std::*_distribution output differs
// between standard libraries, and histories must not.
//
// Not thread-safe; the simulation owns one and passes it explicitly.

#include <array>
#include <cstdint>
#include <string>

namespace protean {

class Prng {
 public:
  explicit Prng(uint64_t seed);

  uint64_t Next();
  // Uniform in [lo, hi] (inclusive), unbiased. Requires lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  // True with probability num/den. Requires 0 <= num <= den, den > 0.
  bool Chance(uint64_t num, uint64_t den);
  // A random RFC 4122 version-4 UUID string.
  std::string Uuid();
  // An independent generator derived from this one (for per-component streams).
  Prng Fork() { return Prng(Next()); }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  std::array<uint64_t, 4> s_{};
};

}  // namespace protean
