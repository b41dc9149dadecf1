// The writer half of core/internal/py_json.h: json.dumps(sort_keys=True,
// separators=(",", ":")) with ensure_ascii and Python's float repr.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>
#include <vector>

#include "core/internal/py_json.h"
#include "core/internal/utf8.h"

namespace protean::py_json {
namespace {

using internal::DecodeUtf8;

void DumpObject(const std::vector<Member>& members, std::string* out);

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
    case Value::Kind::kObject:
      DumpObject(v.members, out);
      return;
  }
}

// A Python dict: the last duplicate wins; sorted by code point (byte order
// of WTF-8; char_traits<char> compares as unsigned char).
void DumpObject(const std::vector<Member>& members, std::string* out) {
  const auto by_key = [](const Member* a, const Member* b) { return a->key < b->key; };
  std::vector<const Member*> sorted;
  sorted.reserve(members.size());
  for (const Member& m : members) sorted.push_back(&m);
  if (!std::is_sorted(sorted.begin(), sorted.end(), by_key)) {
    std::stable_sort(sorted.begin(), sorted.end(), by_key);
  }
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i + 1 < sorted.size() && sorted[i]->key == sorted[i + 1]->key) continue;  // not the last
    if (!first) out->push_back(',');
    first = false;
    AppendString(out, sorted[i]->key);
    out->push_back(':');
    Dump(sorted[i]->value, out);
  }
  out->push_back('}');
}

// Printable ASCII other than the quote and the backslash: written as is.
constexpr bool NeedsNoEscape(unsigned char c) {
  return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

void AppendHex4(std::string* out, uint32_t unit) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(unit >> shift) & 0xF]);
}

}  // namespace

std::string DumpSorted(const Value& value) {
  std::string out;
  Dump(value, &out);
  return out;
}

void AppendString(std::string* out, std::string_view wtf8) {
  out->push_back('"');
  size_t pos = 0;
  while (pos < wtf8.size()) {
    // A run that needs no escape is appended whole: most of an envelope.
    const size_t run = pos;
    while (pos < wtf8.size() && NeedsNoEscape(static_cast<unsigned char>(wtf8[pos]))) ++pos;
    if (pos > run) out->append(wtf8.substr(run, pos - run));
    if (pos >= wtf8.size()) break;
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
        default:  // another control character or DEL: the run above took the rest
          AppendHex4(out, c);
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
