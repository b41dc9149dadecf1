// DumpSortedPlain (core/internal/py_json.h): json.dumps(json.loads(text),
// sort_keys=True, separators=(",", ":")) written straight from the text, with
// no document built, for the JSON most payloads are: plain ASCII strings,
// ints, true, false, null, arrays and objects with distinct keys. Whatever
// else it meets it declines, and the caller takes Parse and DumpSorted:
// tests/unit/py_json_test.cc and the message_decoder fuzz target hold the two
// to the same bytes wherever this one answers.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/internal/py_json.h"

namespace protean::py_json {
namespace {

// Deeper than this, declined (far below Parse's kDepthMax, which decides).
constexpr int kPlainDepthMax = 64;
// Longer ints go the general way (Python's own digit limit is its to apply).
constexpr size_t kPlainIntDigitsMax = 18;

class PlainCanonicalizer {
 public:
  PlainCanonicalizer(std::string_view text, std::string* out) : s_(text), out_(*out) {}

  bool Document() {
    SkipWs();
    if (!Value(0)) return false;
    SkipWs();
    return pos_ == s_.size();
  }

 private:
  // One member written so far: its key in the text, and where it lies in out_
  // (the key's quote to the value's end, without the comma before it).
  struct Written {
    std::string_view key;
    size_t begin;
    size_t end;
  };

  bool Value(int depth) {
    if (pos_ >= s_.size()) return false;
    switch (s_[pos_]) {
      case '{':
        return depth < kPlainDepthMax && Object(depth + 1);
      case '[':
        return depth < kPlainDepthMax && Array(depth + 1);
      case '"': {
        std::string_view str;
        if (!String(&str)) return false;
        AppendQuoted(str);
        return true;
      }
      case 't':
        return Word("true");
      case 'f':
        return Word("false");
      case 'n':
        return Word("null");
      default:
        return Int();
    }
  }

  bool Object(int depth) {
    ++pos_;  // '{'
    const size_t open = out_.size();
    out_.push_back('{');
    const size_t first = members_.size();
    SkipWs();
    if (Consume('}')) {
      out_.push_back('}');
      return true;
    }
    do {
      SkipWs();
      std::string_view key;
      if (!String(&key)) return false;
      SkipWs();
      if (!Consume(':')) return false;
      SkipWs();
      if (members_.size() > first) out_.push_back(',');
      const size_t begin = out_.size();
      AppendQuoted(key);
      out_.push_back(':');
      if (!Value(depth)) return false;
      members_.push_back(Written{key, begin, out_.size()});
      SkipWs();
    } while (Consume(','));
    if (!Consume('}')) return false;
    const bool sorted = Sort(first, open);
    members_.resize(first);
    if (!sorted) return false;
    out_.push_back('}');
    return true;
  }

  // Puts the object's members (from `first` in members_, written after the
  // brace at `open`) in key order; false on a repeated key, whose last value
  // a Python dict keeps (the general path writes that).
  bool Sort(size_t first, size_t open) {
    const auto begin = members_.begin() + static_cast<std::ptrdiff_t>(first);
    const auto by_key = [](const Written& a, const Written& b) { return a.key < b.key; };
    const auto same_key = [](const Written& a, const Written& b) { return a.key == b.key; };
    if (std::is_sorted(begin, members_.end(), by_key)) {
      return std::adjacent_find(begin, members_.end(), same_key) == members_.end();
    }
    std::sort(begin, members_.end(), by_key);
    if (std::adjacent_find(begin, members_.end(), same_key) != members_.end()) return false;
    const std::string written = out_.substr(open + 1);
    out_.resize(open + 1);
    for (auto it = begin; it != members_.end(); ++it) {
      if (it != begin) out_.push_back(',');
      out_.append(written, it->begin - open - 1, it->end - it->begin);
    }
    return true;
  }

  bool Array(int depth) {
    ++pos_;  // '['
    out_.push_back('[');
    SkipWs();
    if (Consume(']')) {
      out_.push_back(']');
      return true;
    }
    bool first = true;
    do {
      SkipWs();
      if (!first) out_.push_back(',');
      first = false;
      if (!Value(depth)) return false;
      SkipWs();
    } while (Consume(','));
    if (!Consume(']')) return false;
    out_.push_back(']');
    return true;
  }

  // A string of printable ASCII with no escape: json.dumps writes it as it is
  // (DEL, which a plain run may hold, it writes as \u007f: declined).
  bool String(std::string_view* out) {
    if (!Consume('"')) return false;
    const size_t start = pos_;
    pos_ = PlainRunEnd(s_, pos_);
    if (pos_ >= s_.size() || s_[pos_] != '"') return false;
    *out = s_.substr(start, pos_ - start);
    ++pos_;
    return out->find('\x7f') == std::string_view::npos;
  }

  // An int as json.dumps writes it back: no fraction or exponent (a float),
  // no leading zero (not JSON), not -0 (written 0), at most 18 digits.
  bool Int() {
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    const size_t digits = pos_;
    while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    const size_t n = pos_ - digits;
    if (n == 0 || n > kPlainIntDigitsMax || (n > 1 && s_[digits] == '0')) return false;
    if (n == 1 && s_[digits] == '0' && digits > start) return false;  // -0
    if (pos_ < s_.size() && (s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E')) return false;
    out_.append(s_.substr(start, pos_ - start));
    return true;
  }

  bool Word(std::string_view w) {
    if (s_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    out_.append(w);
    return true;
  }

  void AppendQuoted(std::string_view plain) {
    out_.push_back('"');
    out_.append(plain);
    out_.push_back('"');
  }

  bool Consume(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  void SkipWs() {
    while (pos_ < s_.size() && IsWhitespace(s_[pos_])) ++pos_;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string& out_;
  std::vector<Written> members_;  // a stack: each open object's members
};

}  // namespace

bool DumpSortedPlain(std::string_view text, std::string* out) {
  out->clear();
  PlainCanonicalizer canonicalizer(text, out);
  return canonicalizer.Document();
}

}  // namespace protean::py_json
