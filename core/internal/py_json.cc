#include "core/internal/py_json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <system_error>

namespace protean::py_json {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends code point `cp` (which may be a lone surrogate) as WTF-8.
void AppendWtf8(std::string* out, uint32_t cp) {
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
std::optional<uint32_t> DecodeUtf8(std::string_view text, size_t* pos, bool allow_surrogates) {
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
    while (pos_ < s_.size() && IsWs(s_[pos_])) ++pos_;
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
    } else if (Literal("null")) {
      v->kind = Value::Kind::kNull;
    } else if (Literal("true") || Literal("false")) {
      v->kind = Value::Kind::kBool;
      v->boolean = c == 't';
    } else if (Literal("NaN")) {
      v->kind = Value::Kind::kFloat;
      v->number = std::nan("");
    } else if (Literal("Infinity")) {
      v->kind = Value::Kind::kFloat;
      v->number = HUGE_VAL;
    } else if (Literal("-Infinity")) {
      v->kind = Value::Kind::kFloat;
      v->number = -HUGE_VAL;
    } else if (c == '-' || IsDigit(c)) {
      ok = ParseNumber(v);
    } else {
      return Fail("expecting value");
    }
    v->end = pos_;
    return ok;
  }

  bool ParseObject(Value* v, int depth) {
    v->kind = Value::Kind::kObject;
    ++pos_;  // '{'
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      if (pos_ >= s_.size() || s_[pos_] != '"') {
        return Fail("expecting property name enclosed in double quotes");
      }
      Member m;
      m.begin = pos_;
      if (!ParseString(&m.key)) return false;
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expecting ':' delimiter");
      ++pos_;
      SkipWs();
      if (!ParseValue(&m.value, depth)) return false;
      v->members.push_back(std::move(m));
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
      Value item;
      if (!ParseValue(&item, depth)) return false;
      v->items.push_back(std::move(item));
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
      if (!DecodeUtf8(s_, &pos_, /*allow_surrogates=*/false)) return Fail("invalid UTF-8");
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

void Dump(const Value& v, std::string* out) {
  switch (v.kind) {
    case Value::Kind::kNull:
      out->append("null");
      return;
    case Value::Kind::kBool:
      out->append(v.boolean ? "true" : "false");
      return;
    case Value::Kind::kInt:
      out->append(v.text);
      return;
    case Value::Kind::kFloat:
      out->append(FloatRepr(v.number));
      return;
    case Value::Kind::kString:
      AppendString(out, v.text);
      return;
    case Value::Kind::kArray: {
      out->push_back('[');
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out->push_back(',');
        Dump(v.items[i], out);
      }
      out->push_back(']');
      return;
    }
    case Value::Kind::kObject: {
      // A Python dict: the last duplicate wins; sorted by code point (byte
      // order of WTF-8; char_traits<char> compares as unsigned char).
      std::map<std::string_view, const Value*> sorted;
      for (const Member& m : v.members) sorted[m.key] = &m.value;
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : sorted) {
        if (!first) out->push_back(',');
        first = false;
        AppendString(out, key);
        out->push_back(':');
        Dump(*value, out);
      }
      out->push_back('}');
      return;
    }
  }
}

void AppendHex4(std::string* out, uint32_t unit) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(unit >> shift) & 0xF]);
}

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

std::string DumpSorted(const Value& value) {
  std::string out;
  Dump(value, &out);
  return out;
}

void AppendString(std::string* out, std::string_view wtf8) {
  out->push_back('"');
  size_t pos = 0;
  while (pos < wtf8.size()) {
    const unsigned char c = static_cast<unsigned char>(wtf8[pos]);
    if (c < 0x80) {
      ++pos;
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            AppendHex4(out, c);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      continue;
    }
    std::optional<uint32_t> cp = DecodeUtf8(wtf8, &pos, /*allow_surrogates=*/true);
    if (!cp) {
      ++pos;
      cp = 0xFFFD;
    }
    if (*cp >= 0x10000) {
      const uint32_t v = *cp - 0x10000;
      AppendHex4(out, 0xD800 + (v >> 10));
      AppendHex4(out, 0xDC00 + (v & 0x3FF));
    } else {
      AppendHex4(out, *cp);
    }
  }
  out->push_back('"');
}

std::string Quote(std::string_view wtf8) {
  std::string out;
  AppendString(&out, wtf8);
  return out;
}

std::string FloatRepr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  // Shortest round-trip digits (the same digits as Python's repr), from the
  // scientific form "d[.ddd]e±XX".
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  PROTEAN_CHECK(ec == std::errc());
  std::string_view sci(buf, static_cast<size_t>(end - buf));
  std::string out;
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  const std::string_view exp = sci.substr(e + 1);
  std::from_chars(exp.data() + (exp.front() == '+' ? 1 : 0), exp.data() + exp.size(), exponent);
  // Python (format_float_short, repr mode): with the decimal point after
  // `decpt` digits, exponent notation when decpt <= -4 or decpt > 16.
  const int decpt = exponent + 1;
  const int n = static_cast<int>(digits.size());
  if (decpt <= -4 || decpt > 16) {
    out.push_back(digits[0]);
    if (n > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    const int shown = decpt - 1;
    out.push_back('e');
    out.push_back(shown < 0 ? '-' : '+');
    const std::string mag = std::to_string(shown < 0 ? -shown : shown);
    if (mag.size() < 2) out.push_back('0');
    out.append(mag);
  } else if (decpt <= 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-decpt), '0');
    out.append(digits);
  } else if (decpt < n) {
    out.append(digits, 0, static_cast<size_t>(decpt));
    out.push_back('.');
    out.append(digits, static_cast<size_t>(decpt));
  } else {
    out.append(digits);
    out.append(static_cast<size_t>(decpt - n), '0');
    out.append(".0");
  }
  return out;
}

}  // namespace protean::py_json
