#include "adapters/memory/memory_cache.h"

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace protean {
namespace {

Status KeyNotFound(std::string_view key) {
  return Status::NotFound("no such cache key: " + std::string(key));
}

}  // namespace

MemoryCache::MemoryCache(const Clock& clock) : clock_(clock) {}

Status MemoryCache::CheckOpenLocked() const {
  if (closed_) return Status::Unavailable("memory cache is closed");
  return Status::Ok();
}

MemoryCache::Entry* MemoryCache::FindLiveLocked(std::string_view key, TimePoint now) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (it->second.deadline.has_value() && now > *it->second.deadline) {
    entries_.erase(it);
    return nullptr;
  }
  return &it->second;
}

Status MemoryCache::Ping() {
  MutexLock lock(&mu_);
  return CheckOpenLocked();
}

void MemoryCache::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
}

Result<std::string> MemoryCache::Get(std::string_view key) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  const Entry* entry = FindLiveLocked(key, clock_.Now());
  if (entry == nullptr) return KeyNotFound(key);
  return entry->value;
}

Status MemoryCache::Set(std::string_view key, std::string_view value, std::optional<Duration> ttl) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  if (ttl.has_value() && ttl->count() <= 0) {
    return Status::InvalidArgument(
        "invalid expire time in 'set' command (key: " + std::string(key) + ")");
  }
  std::optional<TimePoint> deadline;
  if (ttl.has_value()) deadline = clock_.Now() + *ttl;
  const auto it = entries_.find(key);
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), Entry{std::string(value), deadline});
  } else {
    it->second = Entry{std::string(value), deadline};
  }
  return Status::Ok();
}

Status MemoryCache::SetKeepTtl(std::string_view key, std::string_view value) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  Entry* entry = FindLiveLocked(key, clock_.Now());
  if (entry == nullptr) {
    entries_.emplace(std::string(key), Entry{std::string(value), std::nullopt});
  } else {
    entry->value = std::string(value);
  }
  return Status::Ok();
}

Result<bool> MemoryCache::Remove(std::string_view key) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  if (FindLiveLocked(key, clock_.Now()) == nullptr) return false;
  entries_.erase(entries_.find(key));
  return true;
}

Result<std::optional<Duration>> MemoryCache::Ttl(std::string_view key) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  const TimePoint now = clock_.Now();
  const Entry* entry = FindLiveLocked(key, now);
  if (entry == nullptr) return KeyNotFound(key);
  std::optional<Duration> remaining;
  if (entry->deadline.has_value()) remaining = *entry->deadline - now;
  return remaining;
}

}  // namespace protean
