#include "core/internal/py_json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include "core/internal/utf8.h"

namespace protean::py_json {
namespace {

using internal::AppendWtf8;
using internal::DecodeUtf8;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<Value> Run() {
    Value v;
    SkipWs();
    if (!ParseValue(&v, 0)) return Error();
    SkipWs();
    if (pos_ != s_.size()) {
      Fail("extra data");
      return Error();
    }
    return v;
  }

 private:
  Status Error() const {
    return Status::InvalidArgument(error_ + " at byte " + std::to_string(error_at_));
  }
  bool Fail(std::string what) {
    if (error_.empty()) {
      error_ = std::move(what);
      error_at_ = pos_;
    }
    return false;
  }
  void SkipWs() {
    while (pos_ < s_.size() && IsWhitespace(s_[pos_])) ++pos_;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool ParseValue(Value* v, int depth) {
    if (pos_ >= s_.size()) return Fail("expecting value");
    v->begin = pos_;
    const char c = s_[pos_];
    bool ok = true;
    if (c == '{' || c == '[') {
      if (depth >= kDepthMax) return Fail("nesting deeper than " + std::to_string(kDepthMax));
      ok = c == '{' ? ParseObject(v, depth + 1) : ParseArray(v, depth + 1);
    } else if (c == '"') {
      v->kind = Value::Kind::kString;
      ok = ParseString(&v->text);
    } else if (c == '-' || IsDigit(c)) {
      if (Literal("-Infinity")) {
        v->kind = Value::Kind::kFloat;
        v->number = -HUGE_VAL;
      } else {
        ok = ParseNumber(v);
      }
    } else if (!ParseWord(c, v)) {
      return Fail("expecting value");
    }
    v->end = pos_;
    return ok;
  }

  // null, true, false, NaN or Infinity, chosen by the first character.
  bool ParseWord(char c, Value* v) {
    switch (c) {
      case 'n':
        v->kind = Value::Kind::kNull;
        return Literal("null");
      case 't':
      case 'f':
        v->kind = Value::Kind::kBool;
        v->boolean = c == 't';
        return Literal(c == 't' ? "true" : "false");
      case 'N':
        v->kind = Value::Kind::kFloat;
        v->number = std::nan("");
        return Literal("NaN");
      case 'I':
        v->kind = Value::Kind::kFloat;
        v->number = HUGE_VAL;
        return Literal("Infinity");
      default:
        return false;
    }
  }

  bool ParseObject(Value* v, int depth) {
    v->kind = Value::Kind::kObject;
    ++pos_;  // '{'
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    v->members.reserve(12);  // each of an envelope's objects (domain has 11): one allocation
    while (true) {
      if (pos_ >= s_.size() || s_[pos_] != '"') {
        return Fail("expecting property name enclosed in double quotes");
      }
      // Parsed in place: the nested values below never touch v->members.
      Member& m = v->members.emplace_back();
      m.begin = pos_;
      if (!ParseString(&m.key)) return false;
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expecting ':' delimiter");
      ++pos_;
      SkipWs();
      if (!ParseValue(&m.value, depth)) return false;
      SkipWs();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        SkipWs();
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("expecting ',' delimiter");
    }
  }

  bool ParseArray(Value* v, int depth) {
    v->kind = Value::Kind::kArray;
    ++pos_;  // '['
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      if (!ParseValue(&v->items.emplace_back(), depth)) return false;
      SkipWs();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        SkipWs();
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("expecting ',' delimiter");
    }
  }

  std::optional<uint32_t> Hex4() {
    if (pos_ + 4 > s_.size()) return std::nullopt;
    uint32_t cp = 0;
    for (size_t i = 0; i < 4; ++i) {
      const int h = HexValue(s_[pos_ + i]);
      if (h < 0) return std::nullopt;
      cp = cp * 16 + static_cast<uint32_t>(h);
    }
    pos_ += 4;
    return cp;
  }

  bool ParseEscape(std::string* out) {
    ++pos_;  // '\'
    if (pos_ >= s_.size()) return Fail("unterminated string");
    const char e = s_[pos_++];
    switch (e) {
      case '"':
        out->push_back('"');
        return true;
      case '\\':
        out->push_back('\\');
        return true;
      case '/':
        out->push_back('/');
        return true;
      case 'b':
        out->push_back('\b');
        return true;
      case 'f':
        out->push_back('\f');
        return true;
      case 'n':
        out->push_back('\n');
        return true;
      case 'r':
        out->push_back('\r');
        return true;
      case 't':
        out->push_back('\t');
        return true;
      case 'u':
        break;
      default:
        --pos_;
        return Fail("invalid \\escape");
    }
    std::optional<uint32_t> cp = Hex4();
    if (!cp) return Fail("invalid \\uXXXX escape");
    // A high surrogate followed by an escaped low one is one code point;
    // otherwise it stays a lone surrogate (as in Python).
    if (*cp >= 0xD800 && *cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
      const size_t save = pos_;
      pos_ += 2;
      std::optional<uint32_t> low = Hex4();
      if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
      } else {
        pos_ = save;
      }
    }
    AppendWtf8(out, *cp);
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // '"'
    while (true) {
      if (pos_ >= s_.size()) return Fail("unterminated string");
      const char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!ParseEscape(out)) return false;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("invalid control character");
      const size_t start = pos_;
      if (static_cast<unsigned char>(c) < 0x80) {
        // A run of plain ASCII (no quote, backslash or control character)
        // is appended whole: most of an envelope's text.
        pos_ = PlainRunEnd(s_, pos_);
      } else if (!DecodeUtf8(s_, &pos_, /*allow_surrogates=*/false)) {
        return Fail("invalid UTF-8");
      }
      out->append(s_.substr(start, pos_ - start));
    }
  }

  bool ParseNumber(Value* v) {
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size() || !IsDigit(s_[pos_])) return Fail("expecting value");
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    }
    bool is_float = false;
    if (pos_ + 1 < s_.size() && s_[pos_] == '.' && IsDigit(s_[pos_ + 1])) {
      is_float = true;
      pos_ += 2;
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
      if (p < s_.size() && IsDigit(s_[p])) {
        is_float = true;
        while (p < s_.size() && IsDigit(s_[p])) ++p;
        pos_ = p;
      }
    }
    const std::string_view num = s_.substr(start, pos_ - start);
    if (!is_float) {
      v->kind = Value::Kind::kInt;
      v->text = num == "-0" ? "0" : std::string(num);  // int("-0") == 0
      return true;
    }
    v->kind = Value::Kind::kFloat;
    v->number = ParseFloat(num);
    return true;
  }

  // float(text): correctly rounded; overflow gives ±inf and underflow ±0.0.
  static double ParseFloat(std::string_view num) {
    double d = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), d);
    (void)ptr;
    if (ec != std::errc::result_out_of_range) return d;
    // Out of range: decide by the decimal magnitude, digits before the point
    // (leading zeros aside) plus the exponent.
    const bool negative = num.front() == '-';
    const size_t e = num.find_first_of("eE");
    const std::string_view mantissa = num.substr(0, e);
    int64_t exponent = 0;
    if (e != std::string_view::npos) {
      std::string_view exp = num.substr(e + 1);
      const bool exp_negative = !exp.empty() && exp.front() == '-';
      if (!exp.empty() && (exp.front() == '-' || exp.front() == '+')) exp.remove_prefix(1);
      // Saturate: anything beyond 10^9 is out of range either way.
      for (char c : exp) exponent = std::min<int64_t>(exponent * 10 + (c - '0'), 1000000000);
      if (exp_negative) exponent = -exponent;
    }
    int64_t magnitude = 0;
    bool leading = true;
    bool after_point = false;
    for (char c : mantissa) {
      if (c == '.') {
        after_point = true;
      } else if (IsDigit(c)) {
        if (leading && c == '0') {
          if (after_point) --magnitude;
          continue;
        }
        leading = false;
        if (!after_point) ++magnitude;
      }
    }
    const bool overflow = magnitude + exponent > 0;
    const double r = overflow ? HUGE_VAL : 0.0;
    return negative ? -r : r;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
  size_t error_at_ = 0;
};

}  // namespace

const Member* Value::FindMember(std::string_view key) const {
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

const Value* Value::Find(std::string_view key) const {
  const Member* m = FindMember(key);
  return m != nullptr ? &m->value : nullptr;
}

Value* Value::Find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->Find(key));
}

std::optional<Value> Value::Pop(std::string_view key) {
  std::optional<Value> last;
  for (auto it = members.begin(); it != members.end();) {
    if (it->key == key) {
      last = std::move(it->value);
      it = members.erase(it);
    } else {
      ++it;
    }
  }
  return last;
}

void Value::Set(std::string_view key, Value value) {
  if (Value* v = Find(key)) {
    *v = std::move(value);
    return;
  }
  members.push_back(Member{std::string(key), std::move(value), 0});
}

Value Value::Bool(bool b) {
  Value v;
  v.kind = Kind::kBool;
  v.boolean = b;
  return v;
}

Value Value::Int(int64_t n) {
  Value v;
  v.kind = Kind::kInt;
  v.text = std::to_string(n);
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind = Kind::kString;
  v.text = std::move(s);
  return v;
}

Value Value::Object() {
  Value v;
  v.kind = Kind::kObject;
  return v;
}

Result<Value> Parse(std::string_view text) { return Parser(text).Run(); }

}  // namespace protean::py_json
