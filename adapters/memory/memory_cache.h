#pragma once
// MemoryCache: the `memory` Cache, with Redis's SET/GET/DEL/PTTL semantics
// and expiry measured on the Clock it was given (core/cache.h):
//   - Set replaces the value and the TTL; nullopt clears any TTL (a plain SET).
//     A zero or negative TTL is kInvalidArgument, as Redis rejects
//     "SET k v PX 0" ("invalid expire time").
//   - SetKeepTtl replaces the value and keeps the TTL (SET KEEPTTL); on a
//     missing or expired key it stores the value with no expiry.
//   - A key with deadline d is live while Now() <= d (Redis expires a key once
//     now > d, so Ttl can report zero). Expired keys behave as missing
//     everywhere (Get/Ttl kNotFound, Remove false) and are dropped lazily when
//     touched; a key never touched again stays in memory.
//
// Thread-safety: every call takes one mutex. After Close() every call
// returns kUnavailable.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/cache.h"
#include "core/clock.h"
#include "core/mutex.h"

namespace protean {

class MemoryCache final : public Cache {
 public:
  // `clock` must outlive the cache.
  explicit MemoryCache(const Clock& clock);
  MemoryCache(const MemoryCache&) = delete;
  MemoryCache& operator=(const MemoryCache&) = delete;

  std::string_view provider() const override { return "memory"; }
  Status Ping() override;
  void Close() override;

  Result<std::string> Get(std::string_view key) override;
  Status Set(std::string_view key, std::string_view value, std::optional<Duration> ttl) override;
  Status SetKeepTtl(std::string_view key, std::string_view value) override;
  Result<bool> Remove(std::string_view key) override;
  Result<std::optional<Duration>> Ttl(std::string_view key) override;

 private:
  struct Entry {
    std::string value;
    std::optional<TimePoint> deadline;  // nullopt: no expiry
  };
  using Entries = std::map<std::string, Entry, std::less<>>;

  Status CheckOpenLocked() const PROTEAN_REQUIRES(mu_);
  // The live entry for `key`, or nullptr; erases it first if it has expired.
  Entry* FindLiveLocked(std::string_view key, TimePoint now) PROTEAN_REQUIRES(mu_);

  const Clock& clock_;
  mutable Mutex mu_;
  bool closed_ PROTEAN_GUARDED_BY(mu_) = false;
  Entries entries_ PROTEAN_GUARDED_BY(mu_);
};

}  // namespace protean
