#pragma once
// UTF-8 / WTF-8 helpers for core/internal/py_json (WTF-8: UTF-8 that may
// also hold lone surrogates, which JSON escapes can produce).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace protean::internal {

// Appends code point `cp` (which may be a lone surrogate) as WTF-8.
inline void AppendWtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes one sequence at text[*pos]; advances *pos. With `allow_surrogates`
// (WTF-8) an encoded surrogate is accepted; strict UTF-8 (what Python's
// bytes.decode("utf-8") accepts) refuses it. nullopt for an invalid sequence.
inline std::optional<uint32_t> DecodeUtf8(std::string_view text, size_t* pos,
                                          bool allow_surrogates) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(*pos);
  if (b0 < 0x80) {
    ++*pos;
    return b0;
  }
  int len = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (*pos + len > text.size()) return std::nullopt;
  for (int i = 1; i < len; ++i) {
    const unsigned char b = byte(*pos + i);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF) return std::nullopt;
  if (!allow_surrogates && cp >= 0xD800 && cp <= 0xDFFF) return std::nullopt;
  *pos += len;
  return cp;
}

}  // namespace protean::internal
