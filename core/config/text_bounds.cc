#include "core/config/text_bounds.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <toml++/toml.h>

#include "core/config/configuration_error.h"

namespace protean::config {
namespace {

bool IsBareKeyChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c >= 0x80;  // non-ASCII: leave the verdict to toml++
}

bool EndsBareValue(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ']' || c == '}' ||
         c == '#';
}

// Walks the text once, in TOML's lexical structure, recording the deepest
// nesting. Recursion is bounded: it stops as soon as the depth passes `limit`.
class DepthScanner {
 public:
  DepthScanner(std::string_view text, int limit) : text_(text), limit_(limit) {}

  void Run() {
    int table_depth = 0;
    while (!Done()) {
      SkipBlank(true);
      if (Done()) break;
      if (Peek() == '[') {
        table_depth = Header();
      } else {
        KeyValue(table_depth);
      }
      if (Done()) break;
      EndOfLine();
    }
  }

  int max_depth() const { return max_depth_; }
  bool exceeded() const { return exceeded_; }
  uint32_t line() const { return at_line_; }
  uint32_t column() const { return at_column_; }

 private:
  bool Done() const { return stop_ || pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }
  void Lost() { stop_ = true; }  // not TOML here: toml++ will say why

  void Note(int depth) {
    max_depth_ = std::max(max_depth_, depth);
    if (depth > limit_ && !exceeded_) {
      exceeded_ = true;
      at_line_ = line_;
      at_column_ = static_cast<uint32_t>(pos_ - line_start_ + 1);
      stop_ = true;
    }
  }

  void SkipComment() {
    while (!Done() && Peek() != '\n') Advance();
  }

  // Spaces and tabs; with `newlines`, also line breaks and comments.
  void SkipBlank(bool newlines) {
    while (!Done()) {
      const char c = Peek();
      if (c == ' ' || c == '\t') {
        Advance();
      } else if (newlines && (c == '\n' || c == '\r')) {
        Advance();
      } else if (newlines && c == '#') {
        SkipComment();
      } else {
        return;
      }
    }
  }

  void EndOfLine() {
    SkipBlank(false);
    if (Done()) return;
    if (Peek() == '#') SkipComment();
    if (Done()) return;
    if (Peek() == '\r') Advance();
    if (Done()) return;
    if (Peek() == '\n') {
      Advance();
    } else {
      Lost();
    }
  }

  // A string starting at the current quote; single-line or multi-line.
  void String(bool allow_multiline) {
    const char quote = Peek();
    const bool basic = quote == '"';
    if (allow_multiline && Peek(1) == quote && Peek(2) == quote) {
      for (int i = 0; i < 3; ++i) Advance();
      while (!Done()) {
        if (basic && Peek() == '\\') {
          Advance();
          if (!Done()) Advance();
        } else if (Peek() == quote && Peek(1) == quote && Peek(2) == quote) {
          // Up to two more quotes belong to the content: """a""""" is a"".
          int run = 0;
          while (run < 5 && Peek() == quote) {
            Advance();
            ++run;
          }
          return;
        } else {
          Advance();
        }
      }
      Lost();  // unterminated
      return;
    }
    Advance();
    while (!Done()) {
      const char c = Peek();
      if (c == '\n') break;
      if (basic && c == '\\') {
        Advance();
        if (!Done() && Peek() != '\n') Advance();
      } else if (c == quote) {
        Advance();
        return;
      } else {
        Advance();
      }
    }
    Lost();
  }

  // A dotted key whose first segment sits at depth base + 1; returns its
  // number of segments, or 0 when lost. Each segment is counted where it
  // starts, so a limit is reported at the segment that passes it.
  int Key(int base) {
    int segments = 0;
    for (;;) {
      SkipBlank(false);
      if (Done()) return 0;
      Note(base + segments + 1);
      if (stop_) return 0;
      const char c = Peek();
      if (c == '"' || c == '\'') {
        String(false);
        if (stop_) return 0;
      } else if (IsBareKeyChar(static_cast<unsigned char>(c))) {
        while (!Done() && IsBareKeyChar(static_cast<unsigned char>(Peek()))) Advance();
      } else {
        Lost();
        return 0;
      }
      ++segments;
      SkipBlank(false);
      if (Peek() != '.') return segments;
      Advance();
    }
  }

  int Header() {
    Advance();
    const bool array = Peek() == '[';
    if (array) Advance();
    const int segments = Key(0);
    if (segments == 0) return 0;
    SkipBlank(false);
    for (int i = 0; i < (array ? 2 : 1); ++i) {
      if (Peek() != ']') {
        Lost();
        return 0;
      }
      Advance();
    }
    const int depth = segments + (array ? 1 : 0);
    Note(depth);
    return depth;
  }

  void KeyValue(int base) {
    const int segments = Key(base);
    if (segments == 0) return;
    SkipBlank(false);
    if (Peek() != '=') {
      Lost();
      return;
    }
    Advance();
    Value(base + segments);
  }

  // A bare value: number, boolean, date, time; "1979-05-27 07:32:00" has a space.
  void Bare() {
    const size_t start = pos_;
    while (!Done() && !EndsBareValue(Peek())) {
      Advance();
      const size_t length = pos_ - start;
      if (length == 10 && Peek() == ' ' && Peek(1) >= '0' && Peek(1) <= '9' &&
          text_[start + 4] == '-' && text_[start + 7] == '-') {
        Advance();  // date, space, time
      }
    }
    if (pos_ == start) Lost();
  }

  // A value whose key sits at `depth`.
  void Value(int depth) {
    SkipBlank(false);
    if (Done()) return;
    const char c = Peek();
    if (c == '"' || c == '\'') {
      String(true);
    } else if (c == '[') {
      Advance();
      Items(depth + 1, ']', false);
    } else if (c == '{') {
      Advance();
      Items(depth, '}', true);
    } else {
      Bare();
    }
  }

  // The items of an array (values at `depth`) or an inline table (keys
  // below `depth`), up to and including `close`.
  void Items(int depth, char close, bool keys) {
    for (;;) {
      SkipBlank(true);
      if (Done()) return;
      if (Peek() == close) {
        Advance();
        return;
      }
      if (keys) {
        KeyValue(depth);
      } else {
        Note(depth);  // an item, where it starts
        if (stop_) return;
        Value(depth);
      }
      if (stop_) return;
      SkipBlank(true);
      if (Done()) return;
      if (Peek() == ',') {
        Advance();
      } else if (Peek() == close) {
        Advance();
        return;
      } else {
        Lost();
        return;
      }
    }
  }

  std::string_view text_;
  int limit_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
  bool stop_ = false;
  bool exceeded_ = false;
  int max_depth_ = 0;
  uint32_t at_line_ = 0;
  uint32_t at_column_ = 0;
};

std::string Mebibytes(size_t bytes) {
  if (bytes % (size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

[[noreturn]] void TooLarge(const std::string& source, uintmax_t size, const TextBounds& bounds) {
  throw ConfigurationError(kConfigParseError, ErrorLocation{source, "", 0, 0},
                           "the file is " + std::to_string(size) + " bytes, above the limit of " +
                               Mebibytes(bounds.bytes_max));
}

// Where the first byte >= 0x80 outside a string and a comment is, or npos.
// TOML allows non-ASCII text only in strings and comments, and toml++ 3.3
// reaches __builtin_unreachable() (undefined behaviour, found by fuzzing)
// when it meets some such characters where it looks for whitespace, so they
// are refused before it sees them. A flat state machine: it is never lost.
// A quote opens a string only where a TOML string can start (after a blank,
// `=`, `[`, `{`, `,` or `.`); elsewhere it is part of a bare token, as
// toml++ reads it: `x = --'''é` is one token, whose end toml++ looks for
// past the quotes, meeting the é (found by fuzzing too).
size_t NonAsciiOutsideStrings(std::string_view text) {
  enum class In { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  In in = In::kCode;
  char prev = '\n';  // the code character before this one
  const auto string_may_follow = [](char p) {
    return p == ' ' || p == '\t' || p == '\n' || p == '\r' || p == '=' || p == '[' || p == '{' ||
           p == ',' || p == '.';
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto at = [&](std::string_view s) { return text.substr(i, s.size()) == s; };
    switch (in) {
      case In::kCode: {
        if (static_cast<unsigned char>(c) >= 0x80) return i;
        const bool in_token = (c == '"' || c == '\'') && !string_may_follow(prev);
        prev = c;
        if (in_token) break;
        if (c == '#') {
          in = In::kComment;
        } else if (at(R"(""")") || at("'''")) {
          in = c == '"' ? In::kMultiBasic : In::kMultiLiteral;
          i += 2;
        } else if (c == '"') {
          in = In::kBasic;
        } else if (c == '\'') {
          in = In::kLiteral;
        }
        break;
      }
      case In::kComment:
        if (c == '\n') {
          in = In::kCode;
          prev = c;
        }
        break;
      case In::kBasic:
        if (c == '\\') {
          ++i;
        } else if (c == '"' || c == '\n') {
          in = In::kCode;
        }
        break;
      case In::kLiteral:
        if (c == '\'' || c == '\n') in = In::kCode;
        break;
      case In::kMultiBasic:
      case In::kMultiLiteral:
        if (in == In::kMultiBasic && c == '\\') {
          ++i;
        } else if (at(in == In::kMultiBasic ? R"(""")" : "'''")) {
          in = In::kCode;
          i += 2;
        }
        break;
    }
  }
  return std::string_view::npos;
}

[[noreturn]] void NonAscii(const std::string& source, std::string_view text, size_t at) {
  const size_t newline = at == 0 ? std::string_view::npos : text.rfind('\n', at - 1);
  const size_t begin = newline == std::string_view::npos ? 0 : newline + 1;
  const auto line = static_cast<uint32_t>(
      1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(begin), '\n'));
  throw ConfigurationError(kConfigParseError,
                           ErrorLocation{source, "", line, static_cast<uint32_t>(at - begin + 1)},
                           "a non-ASCII character outside a string or comment (TOML allows them "
                           "only in quoted strings and comments)");
}

}  // namespace

int TomlNestingDepth(std::string_view text) {
  DepthScanner scanner(text, std::numeric_limits<int>::max() - 1);
  scanner.Run();
  return scanner.max_depth();
}

void CheckTomlTextBounds(std::string_view text, const std::string& source,
                         const TextBounds& bounds) {
  if (text.size() > bounds.bytes_max) TooLarge(source, text.size(), bounds);
  if (const size_t at = NonAsciiOutsideStrings(text); at != std::string_view::npos) {
    NonAscii(source, text, at);
  }
  DepthScanner scanner(text, bounds.depth_max);
  scanner.Run();
  if (scanner.exceeded()) {
    throw ConfigurationError(kConfigParseError,
                             ErrorLocation{source, "", scanner.line(), scanner.column()},
                             "tables, arrays and dotted keys nest deeper than " +
                                 std::to_string(bounds.depth_max) + " levels");
  }
}

toml::table ParseTomlText(std::string_view text, const std::string& source,
                          const TextBounds& bounds) {
  CheckTomlTextBounds(text, source, bounds);
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    ErrorLocation where{source, "", e.source().begin.line, e.source().begin.column};
    throw ConfigurationError(kConfigParseError, std::move(where), std::string(e.description()));
  }
}

std::string ReadBoundedFile(const std::string& path, const TextBounds& bounds) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > bounds.bytes_max) TooLarge(path, size, bounds);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigurationError(kConfigNotFound, ErrorLocation{path, "", 0, 0},
                             std::string("cannot read the file: ") + std::strerror(errno));
  }
  // One byte more than allowed, to notice a file that grew since file_size.
  std::string text(ec ? bounds.bytes_max + 1 : static_cast<size_t>(size) + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    throw ConfigurationError(kConfigNotFound, ErrorLocation{path, "", 0, 0},
                             std::string("cannot read the file: ") + std::strerror(errno));
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > bounds.bytes_max) TooLarge(path, text.size(), bounds);
  return text;
}

toml::table ParseTomlFile(const std::string& path, const TextBounds& bounds) {
  return ParseTomlText(ReadBoundedFile(path, bounds), path, bounds);
}

}  // namespace protean::config
