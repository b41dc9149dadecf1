#include "adapters/real/pg_conninfo.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace protean {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kUriSchemes[] = {"postgresql://", "postgres://"};

bool IsUri(std::string_view s) {
  for (std::string_view scheme : kUriSchemes) {
    if (s.substr(0, scheme.size()) == scheme) return true;
  }
  return false;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int high = HexDigit(s[i + 1]);
    const int low = HexDigit(s[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// "k=v&k2=v2" of a URI's query string.
Result<Params> ParseQuery(std::string_view query) {
  Params out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("database_uri: query parameter without '=': " +
                                     std::string(item));
    }
    std::optional<std::string> key = PercentDecode(item.substr(0, eq));
    std::optional<std::string> value = PercentDecode(item.substr(eq + 1));
    if (!key || !value) {
      return Status::InvalidArgument("database_uri: bad percent-encoding in " + std::string(item));
    }
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

// libpq's key/value syntax: key = value, the value bare (backslash escapes)
// or single-quoted (backslash escapes), pairs separated by white space.
Result<Params> ParseKeyValues(std::string_view s) {
  Params out;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
  };
  for (int pairs = 0; pairs < 1000; ++pairs) {  // bounded: a conninfo has a few keys
    skip_space();
    if (i >= s.size()) return out;
    const size_t key_begin = i;
    while (i < s.size() && s[i] != '=' && std::isspace(static_cast<unsigned char>(s[i])) == 0) ++i;
    std::string key(s.substr(key_begin, i - key_begin));
    skip_space();
    if (key.empty() || i >= s.size() || s[i] != '=') {
      return Status::InvalidArgument("database_uri: expected key=value near offset " +
                                     std::to_string(key_begin));
    }
    ++i;
    skip_space();
    std::string value;
    const bool quoted = i < s.size() && s[i] == '\'';
    if (quoted) ++i;
    bool closed = !quoted;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '\\' && i + 1 < s.size()) {
        value.push_back(s[++i]);
      } else if (quoted && c == '\'') {
        closed = true;
        ++i;
        break;
      } else if (!quoted && std::isspace(static_cast<unsigned char>(c)) != 0) {
        break;
      } else {
        value.push_back(c);
      }
    }
    if (!closed) return Status::InvalidArgument("database_uri: unterminated quote after " + key);
    out.emplace_back(std::move(key), std::move(value));
  }
  return Status::InvalidArgument("database_uri: too many parameters");
}

void Set(Params& params, const std::string& key, const std::string& value) {
  for (auto& [k, v] : params) {
    if (k == key) {
      v = value;
      return;
    }
  }
  params.emplace_back(key, value);
}

void AppendOption(Params& params, const std::string& option) {
  for (auto& [k, v] : params) {
    if (k == "options") {
      v = v.empty() ? option : v + " " + option;
      return;
    }
  }
  params.emplace_back("options", option);
}

// "-c name=value" with spaces and backslashes escaped as libpq's options
// parser expects.
std::string ServerOption(const std::string& name, const std::string& value) {
  std::string out = "-c " + name + "=";
  for (char c : value) {
    if (c == ' ' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string QuoteValue(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

void Apply(Params& params, const PgConnParams& extra) {
  if (extra.connect_timeout.has_value()) {
    const int64_t micros = std::max<int64_t>(extra.connect_timeout->count(), 1);
    const int64_t seconds = (micros + 999'999) / 1'000'000;
    Set(params, "connect_timeout", std::to_string(seconds));
  }
  for (const auto& [name, value] : extra.server_settings) {
    AppendOption(params, ServerOption(name, value));
  }
  for (const auto& [key, value] : extra.params) Set(params, key, value);
}

}  // namespace

Result<std::string> BuildPgConninfo(std::string_view database_uri, const PgConnParams& params) {
  if (database_uri.empty()) return Status::InvalidArgument("database_uri is empty");
  if (IsUri(database_uri)) {
    if (database_uri.find('#') != std::string_view::npos) {
      return Status::InvalidArgument("database_uri: a URI fragment ('#') is not allowed");
    }
    const size_t question = database_uri.find('?');
    const std::string_view base = database_uri.substr(0, question);
    Result<Params> query =
        ParseQuery(question == std::string_view::npos ? std::string_view()
                                                      : database_uri.substr(question + 1));
    if (!query.ok()) return query.status();
    Apply(*query, params);
    std::string out(base);
    char separator = '?';
    for (const auto& [key, value] : *query) {
      out += separator + PercentEncode(key) + "=" + PercentEncode(value);
      separator = '&';
    }
    return out;
  }
  Result<Params> pairs = ParseKeyValues(database_uri);
  if (!pairs.ok()) return pairs.status();
  if (pairs->empty()) return Status::InvalidArgument("database_uri has no parameters");
  Apply(*pairs, params);
  std::string out;
  for (const auto& [key, value] : *pairs) {
    if (!out.empty()) out.push_back(' ');
    out += key + "=" + QuoteValue(value);
  }
  return out;
}

}  // namespace protean
