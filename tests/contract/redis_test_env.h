#pragma once
// Where the Redis tests find their server: REDIS_URL (ci/services.sh writes
// it to ci/.work/services.env). Without it every Redis case skips with
// RedisSkipReason(). Tests share the server with other runs: they only touch
// keys unique to their process and never FLUSHDB.

#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include "adapters/real/redis_options.h"
#include "adapters/real/redis_url.h"

namespace protean::redis_test {

inline std::optional<std::string> RedisSkipReason() {
  const char* url = std::getenv("REDIS_URL");
  if (url == nullptr || *url == '\0') {
    return std::string(
        "REDIS_URL not set (bash ci/services.sh start && source ci/.work/services.env)");
  }
  if (!ParseRedisUrl(url).ok()) return std::string("REDIS_URL is not a redis:// URL");
  return std::nullopt;
}

// Options for the server in REDIS_URL; call only when RedisSkipReason() is
// nullopt. `name` becomes the owner and the client name.
inline RedisOptions TestOptions(const std::string& name = "redis-test") {
  RedisOptions options;
  options.url = ParseRedisUrl(std::getenv("REDIS_URL")).value();
  options.owner = name;
  options.client_name = "protean-test:" + name;
  return options;
}

// Random per process, so concurrent runs do not share keys.
inline const std::string& Token() {
  static const std::string token = [] {
    std::random_device device;
    return std::to_string(device()) + "-" + std::to_string(device());
  }();
  return token;
}

}  // namespace protean::redis_test
