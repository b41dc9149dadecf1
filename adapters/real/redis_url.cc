#include "adapters/real/redis_url.h"

#include <charconv>
#include <optional>
#include <system_error>

namespace protean {
namespace {

constexpr std::string_view kScheme = "redis://";
constexpr int kDbMax = 2147483647;

// The URI may carry a password: errors name the problem, never the text.
Status Bad(std::string_view why) {
  return Status::InvalidArgument("invalid Redis URL: " + std::string(why));
}

std::optional<int> ParseInt(std::string_view text, int min, int max) {
  int value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = HexDigit(text[i + 1]);
    const int lo = HexDigit(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// Splits "host[:port]" (host may be "[v6]") into the url.
Status ParseHostPort(std::string_view hostport, RedisUrl& url) {
  std::string_view host = hostport;
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return Bad("unterminated '[' in the host");
    host = hostport.substr(1, close - 1);
    const std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Bad("unexpected text after ']'");
      port = rest.substr(1);
      if (port.empty()) return Bad("empty port");
    }
    if (host.empty()) return Bad("empty IPv6 host");
  } else {
    const size_t colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
      if (host.find(':') != std::string_view::npos) {
        return Bad("an IPv6 host must be in brackets");
      }
      if (port.empty()) return Bad("empty port");
    }
  }
  if (!host.empty()) url.host = std::string(host);
  if (!port.empty()) {
    const auto parsed = ParseInt(port, 1, 65535);
    if (!parsed) return Bad("port must be 1..65535, got '" + std::string(port) + "'");
    url.port = *parsed;
  }
  return Status::Ok();
}

Status ParseUserInfo(std::string_view userinfo, RedisUrl& url) {
  const size_t colon = userinfo.find(':');
  const std::string_view user = userinfo.substr(0, colon);
  const std::string_view pass =
      colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
  auto decoded_user = PercentDecode(user);
  auto decoded_pass = PercentDecode(pass);
  if (!decoded_user || !decoded_pass) return Bad("bad percent-escape in the credentials");
  if (colon == std::string_view::npos) {
    // "redis://secret@host": redis-py reads a lone userinfo as the password.
    url.password = std::move(*decoded_user);
    return Status::Ok();
  }
  url.username = std::move(*decoded_user);
  url.password = std::move(*decoded_pass);
  return Status::Ok();
}

}  // namespace

std::string RedisUrl::Redacted() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "redis://" + std::string(v6 ? "[" : "") + host + (v6 ? "]" : "") + ":" +
         std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisUrl> ParseRedisUrl(std::string_view uri) {
  if (uri.starts_with("rediss://")) {
    return Bad("rediss:// (TLS) is not supported by this build (hiredis 0.14 has no TLS)");
  }
  if (!uri.starts_with(kScheme)) {
    return Bad("expected redis://[[user]:password@]host[:port][/db]");
  }
  std::string_view rest = uri.substr(kScheme.size());
  RedisUrl url;
  // Query: only ?db=N.
  std::optional<int> query_db;
  if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    const std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (!query.starts_with("db=")) return Bad("the only query parameter allowed is db=N");
    query_db = ParseInt(query.substr(3), 0, kDbMax);
    if (!query_db) return Bad("db must be a number >= 0");
  }
  // The authority ends at the first '/' after the last '@' (passwords may
  // contain '/' only percent-encoded, as in any URL).
  const size_t at = rest.rfind('@');
  std::string_view authority_and_path = rest;
  if (at != std::string_view::npos) {
    PROTEAN_RETURN_IF_ERROR(ParseUserInfo(rest.substr(0, at), url));
    authority_and_path = rest.substr(at + 1);
  }
  const size_t slash = authority_and_path.find('/');
  const std::string_view hostport = authority_and_path.substr(0, slash);
  PROTEAN_RETURN_IF_ERROR(ParseHostPort(hostport, url));
  if (slash != std::string_view::npos) {
    std::string_view path = authority_and_path.substr(slash + 1);
    if (!path.empty()) {
      if (query_db) return Bad("db given both in the path and as ?db=");
      const auto db = ParseInt(path, 0, kDbMax);
      if (!db) return Bad("db must be a number >= 0, got '" + std::string(path) + "'");
      url.db = *db;
    }
  }
  if (query_db) url.db = *query_db;
  return url;
}

}  // namespace protean
