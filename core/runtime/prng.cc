#include "core/runtime/prng.h"

#include <cstdio>

#include "core/status.h"

namespace protean {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Prng::Prng(uint64_t seed) : seed_(seed) {
  uint64_t x = seed;
  for (auto& word : s_) word = SplitMix64(x);
}

uint64_t Prng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

int64_t Prng::UniformInt(int64_t lo, int64_t hi) {
  PROTEAN_CHECK(lo <= hi);
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(Next());
  const uint64_t range = span + 1;
  // Rejection sampling: drop the top partial bucket so every value is equally likely.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % range);
  uint64_t v;
  do {
    v = Next();
  } while (v >= limit);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + v % range);
}

bool Prng::Chance(uint64_t num, uint64_t den) {
  PROTEAN_CHECK(den > 0 && num <= den);
  if (num == 0) return false;
  if (num == den) return true;
  return static_cast<uint64_t>(UniformInt(0, static_cast<int64_t>(den) - 1)) < num;
}

std::string Prng::Uuid() {
  uint64_t hi = Next();
  uint64_t lo = Next();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

}  // namespace protean
