#pragma once
// RedisCache: the Cache of provider `redis` (core/cache.h), passing
// tests/contract/cache_contract.h like MemoryCache.
//
//   Get        GET                       nil -> kNotFound
//   Set        SET k v PX <ms>           ttl rounded up to whole ms; ttl <= 0
//                                        is kInvalidArgument (nothing sent)
//              SET k v                   no TTL: a plain SET clears an old one
//   SetKeepTtl SET k v KEEPTTL           a missing key is created without TTL
//   Remove     DEL                       whether the key existed
//   Ttl        PTTL                      -2 -> kNotFound, -1 -> nullopt
//
// TTLs are relative (PX/PTTL), so expiry is the server's: with the engine's
// RealClock on the same host the two agree; a relative TTL keeps working when
// the Redis host's clock is skewed, which an absolute PXAT from our Clock
// would not. The Clock is kept for the port's sake and not read.
//
// Keys are `key_prefix` + key (key_prefix from [caches.<name>], default
// empty), so a db shared with streams or other apps stays apart.
//
// Errors as in RedisBroker (RedisStatus): kUnavailable for a lost server,
// kTimeout past socket_timeout. Reads are retried once after a connection
// error; writes only on a timeout with retry_on_timeout. Close() closes
// every connection; later calls fail with kUnavailable.
//
// Thread-safety: every method may be called from any thread (a pool of
// max_connections connections).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/real/redis_options.h"
#include "core/cache.h"
#include "core/clock.h"

namespace protean {

class RedisPool;

class RedisCache final : public Cache {
 public:
  // Connects lazily: construction never fails; Ping() tells reachability.
  RedisCache(const Clock& clock, RedisOptions options, std::string key_prefix = "");
  ~RedisCache() override;
  RedisCache(const RedisCache&) = delete;
  RedisCache& operator=(const RedisCache&) = delete;

  std::string_view provider() const override { return "redis"; }
  Status Ping() override;
  void Close() override;

  Result<std::string> Get(std::string_view key) override;
  Status Set(std::string_view key, std::string_view value, std::optional<Duration> ttl) override;
  Status SetKeepTtl(std::string_view key, std::string_view value) override;
  Result<bool> Remove(std::string_view key) override;
  Result<std::optional<Duration>> Ttl(std::string_view key) override;

  const std::string& key_prefix() const { return key_prefix_; }

 private:
  std::string Key(std::string_view key) const { return key_prefix_ + std::string(key); }

  const Clock& clock_;
  const std::string key_prefix_;
  std::unique_ptr<RedisPool> pool_;
};

}  // namespace protean
