#pragma once
// Connection settings shared by RedisBroker, RedisPubSubBroker and
// RedisCache, and how they are read from domain.toml sections.
//
// Keys (seconds as in Protean / redis-py; defaults in brackets):
//   URI / uri               redis://[[user]:password@]host[:port][/db]  (required)
//   max_connections         pool size bound [10]; a blocked read holds one
//   socket_timeout          per-command read/write timeout [10 s]; a BLOCK
//                           read gets block + socket_timeout instead
//   socket_connect_timeout  TCP connect timeout [5 s]
//   retry_on_timeout        retry a timed-out command once on a fresh
//                           connection [false] (at-least-once: a retried
//                           XADD may add twice)
//   pool_timeout            (extra key) wait for a free connection [5 s],
//                           then kTimeout
//   key_prefix              (extra key, caches only) prepended to every
//                           cache key [""], for a db shared with others
// A wrong type or a value <= 0 is kInvalidArgument naming the section and key.

#include <optional>
#include <string>
#include <string_view>

#include "adapters/real/redis_url.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {
namespace config {
struct BrokerConfig;
struct CacheConfig;
}  // namespace config

struct RedisOptions {
  RedisUrl url;
  int max_connections = 10;
  Duration connect_timeout = Seconds(5);
  Duration socket_timeout = Seconds(10);
  Duration pool_timeout = Seconds(5);
  bool retry_on_timeout = false;
  // A failed connect is retried this many times, after 50, 100, 200 ms.
  int reconnect_attempts_max = 3;
  Duration reconnect_backoff = Millis(50);  // doubled after every attempt
  // Names the pool's owner in messages ("brokers.default").
  std::string owner = "redis";
  // CLIENT SETNAME on every connection (visible in CLIENT LIST); no spaces.
  // Empty: none.
  std::string client_name = "protean";
};

// `options` for a side connection that must give up quickly (a read waker,
// a rate limiter): connect, socket and pool timeouts at most `timeout`, no
// reconnect retries, `role` added to the owner's name.
RedisOptions WithShortTimeouts(RedisOptions options, Duration timeout, std::string_view role);

// Messages name the section ("brokers.<name>.max_connections: ...").
Result<RedisOptions> RedisOptionsFromBroker(const config::BrokerConfig& config);

struct RedisCacheSettings {
  RedisOptions options;
  std::string key_prefix;
};
Result<RedisCacheSettings> RedisOptionsFromCache(const config::CacheConfig& config);

}  // namespace protean
