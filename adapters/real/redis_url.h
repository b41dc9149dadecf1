#pragma once
// Parsing of the Redis address that domain.toml gives as `URI`:
//
//   redis://[[username]:password@]host[:port][/db][?db=N]
//
// - host: a name, an IPv4 address or a bracketed IPv6 address ("[::1]");
//   default 127.0.0.1 when empty ("redis://" or "redis://:pw@/2").
// - port: 1..65535, default 6379.
// - db: 0..(2^31-1), from the path or from `?db=` (not both), default 0.
// - username/password are percent-decoded ("%40" is '@'); a password without
//   a username ("redis://:secret@host") authenticates with AUTH <password>,
//   with both it is AUTH <username> <password> (Redis 6 ACLs).
//
// `rediss://` (TLS) and `unix://` are refused with kInvalidArgument: this
// build's hiredis (0.14) has no TLS, and the adapters are TCP-only. Other
// query parameters are refused too, so a typo never silently does nothing.

#include <string>
#include <string_view>

#include "core/status.h"

namespace protean {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // empty: none
  std::string password;  // empty: no AUTH
  int db = 0;

  // "redis://host:port/db" with the credentials left out (safe to log).
  std::string Redacted() const;
};

// kInvalidArgument, naming what is wrong, when `uri` is not a redis:// URL.
Result<RedisUrl> ParseRedisUrl(std::string_view uri);

}  // namespace protean
