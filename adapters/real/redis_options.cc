#include "adapters/real/redis_options.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/config/pass_through.h"
#include "core/config/sections.h"

namespace protean {
namespace {

Status BadKey(const std::string& section, std::string_view key, std::string_view why) {
  return Status::InvalidArgument(section + "." + std::string(key) + ": " + std::string(why));
}

// A positive number of seconds (integer or float) from an extra key.
Result<std::optional<Duration>> ExtraSeconds(const PassThroughKeys& extra,
                                             const std::string& section, std::string_view key) {
  Result<std::optional<double>> number = config::PassThroughNumber(extra, section, key);
  if (number.ok() && !number->has_value()) return std::optional<Duration>();
  if (!number.ok()) return BadKey(section, key, "expected a number of seconds");
  const double* value = &**number;
  if (!std::isfinite(*value) || *value <= 0 || *value > 86400.0 * 365) {
    return BadKey(section, key, "expected seconds > 0");
  }
  return std::optional<Duration>(SecondsF(*value));
}

Result<RedisOptions> Common(const std::string& section, const std::string& uri,
                            std::optional<int64_t> max_connections, const PassThroughKeys& extra) {
  RedisOptions options;
  options.owner = section;
  options.client_name = "protean:" + section;
  for (char& c : options.client_name) {
    if (c <= ' ' || c == 0x7f) c = '_';  // CLIENT SETNAME refuses spaces
  }
  auto url = ParseRedisUrl(uri);
  if (!url.ok()) return BadKey(section, "URI", url.status().message());
  options.url = *url;
  if (max_connections) {
    if (*max_connections < 1 || *max_connections > 10000) {
      return BadKey(section, "max_connections", "expected 1..10000");
    }
    options.max_connections = static_cast<int>(*max_connections);
  }
  auto pool_timeout = ExtraSeconds(extra, section, "pool_timeout");
  if (!pool_timeout.ok()) return pool_timeout.status();
  if (*pool_timeout) options.pool_timeout = **pool_timeout;
  return options;
}

}  // namespace

Result<RedisOptions> RedisOptionsFromBroker(const config::BrokerConfig& config) {
  const std::string section = "brokers." + config.name;
  auto options = Common(section, config.uri, config.max_connections, config.extra);
  if (!options.ok()) return options.status();
  // sections.cc already checked these are > 0.
  if (config.socket_timeout) options->socket_timeout = SecondsF(*config.socket_timeout);
  if (config.socket_connect_timeout) {
    options->connect_timeout = SecondsF(*config.socket_connect_timeout);
  }
  options->retry_on_timeout = config.retry_on_timeout;
  return options;
}

Result<RedisCacheSettings> RedisOptionsFromCache(const config::CacheConfig& config) {
  const std::string section = "caches." + config.name;
  auto options = Common(section, config.uri, config.max_connections, config.extra);
  if (!options.ok()) return options.status();
  RedisCacheSettings settings;
  settings.options = std::move(options).value();
  // [caches.*] has no typed timeout fields: they arrive as extra keys.
  for (const auto& [key, target] :
       {std::pair{"socket_timeout", &settings.options.socket_timeout},
        std::pair{"socket_connect_timeout", &settings.options.connect_timeout}}) {
    auto seconds = ExtraSeconds(config.extra, section, key);
    if (!seconds.ok()) return seconds.status();
    if (*seconds) *target = **seconds;
  }
  auto retry = config::PassThroughBool(config.extra, section, "retry_on_timeout");
  if (!retry.ok()) return BadKey(section, "retry_on_timeout", "expected true or false");
  if (*retry) settings.options.retry_on_timeout = **retry;
  auto prefix = config::PassThroughString(config.extra, section, "key_prefix");
  if (!prefix.ok()) return BadKey(section, "key_prefix", "expected a string");
  if (*prefix) settings.key_prefix = **prefix;
  return settings;
}

RedisOptions WithShortTimeouts(RedisOptions options, Duration timeout, std::string_view role) {
  options.connect_timeout = std::min(options.connect_timeout, timeout);
  options.socket_timeout = std::min(options.socket_timeout, timeout);
  options.pool_timeout = std::min(options.pool_timeout, timeout);
  options.reconnect_attempts_max = 0;
  options.owner += " (" + std::string(role) + ")";
  return options;
}

}  // namespace protean
