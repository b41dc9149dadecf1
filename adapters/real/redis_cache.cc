#include "adapters/real/redis_cache.h"

#include <utility>

#include "adapters/real/redis_connection.h"
#include "adapters/real/redis_pool.h"
#include "adapters/real/redis_reply.h"

namespace protean {
namespace {

Status KeyNotFound(std::string_view key) {
  return Status::NotFound("no such cache key: " + std::string(key));
}

// A SET that must answer +OK.
Result<bool> SetOn(RedisConnection& c, const RedisArgs& args) {
  auto reply = c.Command(args);
  if (!reply.ok()) return reply.status();
  if (redis_internal::Text(reply->get()) != std::string_view("OK")) {
    return redis_internal::BadShape("SET", "not OK");
  }
  return true;
}

}  // namespace

RedisCache::RedisCache(const Clock& clock, RedisOptions options, std::string key_prefix)
    : clock_(clock),
      key_prefix_(std::move(key_prefix)),
      pool_(std::make_unique<RedisPool>(std::move(options))) {
  (void)clock_;  // expiry is the server's: see the header
}

RedisCache::~RedisCache() { Close(); }

Status RedisCache::Ping() {
  return pool_
      ->Run<bool>(RedisRetry::kIdempotent,
                  [](RedisConnection& c) -> Result<bool> {
                    auto reply = c.Command(RedisArgs{"PING"});
                    if (!reply.ok()) return reply.status();
                    return true;
                  })
      .status();
}

void RedisCache::Close() { pool_->Close(); }

Result<std::string> RedisCache::Get(std::string_view key) {
  const std::string full = Key(key);
  return pool_->Run<std::string>(RedisRetry::kIdempotent,
                                 [&](RedisConnection& c) -> Result<std::string> {
                                   auto reply = c.Command(RedisArgs{"GET", full});
                                   if (!reply.ok()) return reply.status();
                                   if ((*reply)->type == REDIS_REPLY_NIL) return KeyNotFound(key);
                                   const auto value = redis_internal::Text(reply->get());
                                   if (!value)
                                     return redis_internal::BadShape("GET", "not a string");
                                   return std::string(*value);
                                 });
}

Status RedisCache::Set(std::string_view key, std::string_view value, std::optional<Duration> ttl) {
  if (ttl.has_value() && ttl->count() <= 0) {
    return Status::InvalidArgument(
        "invalid expire time in 'set' command (key: " + std::string(key) + ")");
  }
  RedisArgs args{"SET", Key(key), value};
  if (ttl.has_value()) args.Add("PX").Add(redis_internal::CeilMillis(*ttl));
  return pool_
      ->Run<bool>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) { return SetOn(c, args); })
      .status();
}

Status RedisCache::SetKeepTtl(std::string_view key, std::string_view value) {
  const RedisArgs args{"SET", Key(key), value, "KEEPTTL"};
  return pool_
      ->Run<bool>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) { return SetOn(c, args); })
      .status();
}

Result<bool> RedisCache::Remove(std::string_view key) {
  const std::string full = Key(key);
  return pool_->Run<bool>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) -> Result<bool> {
    auto reply = c.Command(RedisArgs{"DEL", full});
    if (!reply.ok()) return reply.status();
    const auto removed = redis_internal::Integer(reply->get());
    if (!removed) return redis_internal::BadShape("DEL", "not an integer");
    return *removed > 0;
  });
}

Result<std::optional<Duration>> RedisCache::Ttl(std::string_view key) {
  using Out = std::optional<Duration>;
  const std::string full = Key(key);
  return pool_->Run<Out>(RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<Out> {
    auto reply = c.Command(RedisArgs{"PTTL", full});
    if (!reply.ok()) return reply.status();
    const auto ms = redis_internal::Integer(reply->get());
    if (!ms) return redis_internal::BadShape("PTTL", "not an integer");
    if (*ms == -2) return KeyNotFound(key);
    if (*ms < 0) return Out();  // -1: no expiry
    return Out(Millis(*ms));
  });
}

}  // namespace protean
