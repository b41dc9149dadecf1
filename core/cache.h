#pragma once
// A Cache maps keys to string values with an optional time-to-live.
//
// Set replaces the value and its TTL (a plain Redis SET, which clears an old
// TTL; nullopt = no expiry); SetKeepTtl replaces the value and keeps the
// existing TTL (SET ... KEEPTTL). Expiry follows the Clock the cache was
// given. Implementations: MemoryCache (`memory`), RedisCache (`redis`); both
// pass tests/contract/cache_contract.h. Calls may come from any thread.

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace protean {

class Cache {
 public:
  virtual ~Cache() = default;

  virtual std::string_view provider() const = 0;
  virtual Status Ping() = 0;
  virtual void Close() {}

  // kNotFound when the key is missing or expired.
  virtual Result<std::string> Get(std::string_view key) = 0;
  virtual Status Set(std::string_view key, std::string_view value, std::optional<Duration> ttl) = 0;
  virtual Status SetKeepTtl(std::string_view key, std::string_view value) = 0;
  // Returns whether the key existed.
  virtual Result<bool> Remove(std::string_view key) = 0;
  // Remaining TTL; nullopt = no expiry; kNotFound when the key is missing.
  virtual Result<std::optional<Duration>> Ttl(std::string_view key) = 0;
};

}  // namespace protean
