#pragma once
// A small JSON reader and writer that behave like Python's json module, for
// the wire format Protean (Python) reads and writes. A general JSON library
// would not do: float formatting differs from Python's, big ints lose digits,
// and NaN (which json.loads accepts) is refused.
//
// Parse() accepts exactly what json.loads accepts (the C scanner, strict
// mode): NaN, Infinity, -Infinity, lone surrogate escapes, duplicate keys
// (lookups see the last one, as a Python dict does). Integers keep their exact
// digits (Python ints are unbounded); every value records where it lies in
// the input, so a caller can cut a member out of the text, or splice one in,
// without re-serialising the rest.
//
// DumpSorted() writes what json.dumps(v, sort_keys=True, separators=(",", ":"))
// writes: ensure_ascii escaping (\uXXXX, lower-case hex, surrogate pairs above
// the BMP), Python's float repr, ints as they are.
//
// Strings are held as WTF-8: UTF-8 that may also hold lone surrogates (which a
// JSON escape can produce). Its byte order is code point order, which is the
// order Python's sort_keys uses.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace protean::py_json {

struct Member;

struct Value {
  enum class Kind : uint8_t { kNull, kBool, kInt, kFloat, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;         // kBool
  double number = 0;            // kFloat
  std::string text;             // kInt: the digits as Python prints them; kString: WTF-8
  std::vector<Value> items;     // kArray
  std::vector<Member> members;  // kObject: document order, duplicates kept
  size_t begin = 0;             // the value's bytes in the parsed text: [begin, end)
  size_t end = 0;

  bool is_null() const { return kind == Kind::kNull; }
  bool is_object() const { return kind == Kind::kObject; }
  bool is_string() const { return kind == Kind::kString; }

  // The last member named `key` (what a Python dict keeps), or nullptr.
  const Member* FindMember(std::string_view key) const;
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  // Removes every member named `key`; returns the value of the last one.
  std::optional<Value> Pop(std::string_view key);
  // Replaces the value of the last member named `key`, or appends one.
  void Set(std::string_view key, Value value);

  static Value Null();  // defined below Member: a Value{} needs Member complete (clang)
  static Value Bool(bool b);
  static Value Int(int64_t n);
  static Value String(std::string s);
  static Value Object();
};

struct Member {
  std::string key;
  Value value;
  size_t begin = 0;  // offset of the key's opening quote in the parsed text
};

inline Value Value::Null() { return Value{}; }

// JSON's whitespace: what json.loads skips between tokens.
inline constexpr std::string_view kWhitespace = " \t\n\r";
inline bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// `text` without JSON's whitespace around it.
inline std::string_view Trimmed(std::string_view text) {
  const size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kWhitespace) - first + 1);
}

// Nesting deeper than this is refused (Python's own limit is about 1000).
inline constexpr int kDepthMax = 512;

// Fails with kInvalidArgument: "<what> at byte <offset>".
Result<Value> Parse(std::string_view text);

// Where the run of plain ASCII that starts at `pos` in JSON text ends: the
// first quote, backslash, control character or byte above 0x7F at or after
// `pos`, or text.size(). A JSON string holds such a run as itself. Inline:
// an envelope has dozens of short strings, each a call otherwise.
//
// Eight bytes at a time while none of them is a quote, a backslash, a
// control character or above 0x7F; the first that is one ends the run. Each
// test may also flag bytes after a true hit (a borrow runs upwards from it)
// but never one before, so the lowest flagged byte of the word is the
// first that ends the run. The last few bytes of the text go one by one.
inline size_t PlainRunEnd(std::string_view s, size_t pos) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  while (pos + 8 <= s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + pos, 8);
    const uint64_t quote = w ^ (kOnes * '"');
    const uint64_t backslash = w ^ (kOnes * '\\');
    const uint64_t special = (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
                              ((w - kOnes * 0x20) & ~w) | w) &
                             kHigh;
    if (special != 0) {
      // Little-endian: the text's first byte is the word's lowest. (On a
      // big-endian CPU borrows run towards earlier bytes: one by one below.)
      if constexpr (std::endian::native == std::endian::little) {
        return pos + static_cast<size_t>(std::countr_zero(special) / 8);
      }
      break;
    }
    pos += 8;
  }
  while (pos < s.size()) {
    const auto b = static_cast<unsigned char>(s[pos]);
    if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\') break;
    ++pos;
  }
  return pos;
}

// json.dumps(value, sort_keys=True, separators=(",", ":")).
std::string DumpSorted(const Value& value);

// DumpSorted(Parse(text)) written straight from `text`, with no document
// built, when the text holds only what that writes back unchanged but for
// order and whitespace: strings of printable ASCII without escapes, ints of
// at most 18 digits (not -0), true, false, null, and arrays and objects (keys
// distinct, nested at most 64 deep). Anything else (a float, an escape, a
// non-ASCII byte, a repeated key, text that is not JSON) makes it return
// false, `out` unspecified: Parse and DumpSorted then decide.
bool DumpSortedPlain(std::string_view text, std::string* out);

// A JSON string literal (with its quotes) as json.dumps writes it with
// ensure_ascii. Bytes that are not WTF-8 are written as U+FFFD.
void AppendString(std::string* out, std::string_view wtf8);
std::string Quote(std::string_view wtf8);

// repr(float) as json.dumps writes it: shortest round-trip digits, "1.0",
// "1e-05", "1e+16", and NaN / Infinity / -Infinity.
std::string FloatRepr(double value);

}  // namespace protean::py_json
