// Message DB's naming rules and hash_64, computed client-side exactly as the
// server's SQL functions do (database/functions/*.sql in Message DB 1.3.0):
//   category(s)    = SPLIT_PART(s, '-', 1)
//   id(s)          = text after the first '-', NULL when there is none
//   cardinal_id(s) = SPLIT_PART(id(s), '+', 1)
//   is_category(s) = STRPOS(s, '-') = 0
//   hash_64(v)     = left('x' || md5(v), 17)::bit(64)::bigint
// MD5 (RFC 1321) is implemented here, in an anonymous namespace, because
// hash_64 is its only user in the project.

#include "core/event_store.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/status.h"

namespace protean {
namespace {

using Md5Digest = std::array<uint8_t, 16>;

// Per-round shift amounts and the sine-derived constants of RFC 1321 §3.4.
constexpr std::array<uint32_t, 64> kMd5Shift = {
    7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 5,  9,  14, 20, 5,  9,
    14, 20, 5,  9,  14, 20, 5,  9,  14, 20, 4,  11, 16, 23, 4,  11, 16, 23, 4,  11, 16, 23,
    4,  11, 16, 23, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21,
};
constexpr std::array<uint32_t, 64> kMd5Sine = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

constexpr uint32_t RotateLeft(uint32_t x, uint32_t n) { return (x << n) | (x >> (32 - n)); }

// Folds one 64-byte block into the state (RFC 1321 §3.4).
void Md5Block(const uint8_t* block, std::array<uint32_t, 4>& state) {
  std::array<uint32_t, 16> m{};
  for (size_t i = 0; i < 16; ++i) {
    // Words are little-endian.
    m[i] = static_cast<uint32_t>(block[i * 4]) | (static_cast<uint32_t>(block[i * 4 + 1]) << 8) |
           (static_cast<uint32_t>(block[i * 4 + 2]) << 16) |
           (static_cast<uint32_t>(block[i * 4 + 3]) << 24);
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  for (size_t i = 0; i < 64; ++i) {
    uint32_t f = 0;
    size_t g = 0;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) % 16;
    }
    const uint32_t rotated = RotateLeft(a + f + kMd5Sine[i] + m[g], kMd5Shift[i]);
    a = d;
    d = c;
    c = b;
    b = b + rotated;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

Md5Digest Md5(std::string_view input) {
  std::array<uint32_t, 4> state = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* bytes = reinterpret_cast<const uint8_t*>(input.data());
  const size_t size = input.size();
  size_t done = 0;
  for (; size - done >= 64; done += 64) Md5Block(bytes + done, state);

  // Padding: 0x80, zeros up to 56 mod 64, then the bit length little-endian.
  // The tail is at most 63 bytes, so it needs one or two more blocks.
  std::array<uint8_t, 128> tail{};
  const size_t rest = size - done;
  if (rest > 0) std::memcpy(tail.data(), bytes + done, rest);
  tail[rest] = 0x80;
  const size_t tail_size = rest < 56 ? 64 : 128;
  const uint64_t bit_length = static_cast<uint64_t>(size) * 8;
  for (size_t i = 0; i < 8; ++i) {
    tail[tail_size - 8 + i] = static_cast<uint8_t>(bit_length >> (8 * i));
  }
  for (size_t offset = 0; offset < tail_size; offset += 64) Md5Block(tail.data() + offset, state);

  Md5Digest digest{};
  for (size_t i = 0; i < 4; ++i) {
    for (size_t j = 0; j < 4; ++j) digest[i * 4 + j] = static_cast<uint8_t>(state[i] >> (8 * j));
  }
  return digest;
}

}  // namespace

Result<std::optional<int64_t>> EventStore::CategoryHead(std::string_view category) {
  // Pages of 1000 from the start: bounded by the category's size.
  constexpr int64_t kPage = 1000;
  std::optional<int64_t> head;
  CategoryRead read;
  read.batch_size = kPage;
  while (true) {
    auto page = ReadCategory(category, read);
    if (!page.ok()) return page.status();
    if (page->empty()) return head;
    head = page->back().global_position;
    if (static_cast<int64_t>(page->size()) < kPage) return head;
    read.position = *head + 1;
  }
}

std::string_view StreamCategory(std::string_view stream_name) {
  const size_t dash = stream_name.find('-');
  return dash == std::string_view::npos ? stream_name : stream_name.substr(0, dash);
}

std::string_view StreamNameId(std::string_view stream_name) {
  const size_t dash = stream_name.find('-');
  return dash == std::string_view::npos ? std::string_view() : stream_name.substr(dash + 1);
}

std::string_view CardinalId(std::string_view stream_name) {
  const std::string_view id = StreamNameId(stream_name);
  const size_t plus = id.find('+');
  return plus == std::string_view::npos ? id : id.substr(0, plus);
}

bool IsCategory(std::string_view stream_name) {
  return stream_name.find('-') == std::string_view::npos;
}

int64_t Hash64(std::string_view value) {
  const Md5Digest digest = Md5(value);
  uint64_t high = 0;
  for (size_t i = 0; i < 8; ++i) high = (high << 8) | digest[i];
  return static_cast<int64_t>(high);  // two's complement, as ::bit(64)::bigint
}

int64_t ConsumerGroupMember(std::string_view stream_name, int64_t group_size) {
  PROTEAN_CHECK(group_size >= 1);
  const int64_t hash = Hash64(CardinalId(stream_name));
  // |hash| as unsigned, so INT64_MIN (whose magnitude has no int64) is exact.
  const uint64_t magnitude =
      hash < 0 ? uint64_t{0} - static_cast<uint64_t>(hash) : static_cast<uint64_t>(hash);
  return static_cast<int64_t>(magnitude % static_cast<uint64_t>(group_size));
}

}  // namespace protean
