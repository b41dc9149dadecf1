#include "adapters/memory/memory_database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace protean {
namespace {

std::string Where(std::string_view table, std::string_view key) {
  return " (table: " + std::string(table) + ", key: " + std::string(key) + ")";
}

}  // namespace

Status MemoryDatabase::CheckOpenLocked() const {
  if (closed_) return Status::Unavailable("memory database is closed");
  return Status::Ok();
}

MemoryDatabase::Table* MemoryDatabase::FindTableLocked(std::string_view table) {
  const auto it = tables_.find(table);
  return it == tables_.end() ? nullptr : &it->second;
}

Status MemoryDatabase::Ping() {
  MutexLock lock(&mu_);
  return CheckOpenLocked();
}

void MemoryDatabase::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
}

Status MemoryDatabase::Setup() {
  MutexLock lock(&mu_);
  return CheckOpenLocked();
}

Result<std::optional<Record>> MemoryDatabase::Get(std::string_view table, std::string_view key) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  std::optional<Record> out;
  const Table* records = FindTableLocked(table);
  if (records == nullptr) return out;
  const auto it = records->find(key);
  if (it == records->end()) return out;
  out = Record{std::string(table), it->first, it->second.data, it->second.version};
  return out;
}

Result<int64_t> MemoryDatabase::Put(std::string_view table, std::string_view key,
                                    std::string_view data,
                                    std::optional<int64_t> expected_version) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  Table* records = FindTableLocked(table);
  Entry* entry = nullptr;
  if (records != nullptr) {
    const auto it = records->find(key);
    if (it != records->end()) entry = &it->second;
  }
  const int64_t current = entry == nullptr ? 0 : entry->version;
  if (expected_version.has_value() && *expected_version != current) {
    if (*expected_version == 0)
      return Status::Conflict("record already exists" + Where(table, key));
    return Status::Conflict("wrong expected version: " + std::to_string(*expected_version) +
                            ", current version: " + std::to_string(current) + Where(table, key));
  }
  if (entry == nullptr) {
    if (records == nullptr) records = &tables_[std::string(table)];
    entry = &(*records)[std::string(key)];
  }
  entry->data = std::string(data);
  entry->version = current + 1;
  return entry->version;
}

Result<bool> MemoryDatabase::Remove(std::string_view table, std::string_view key) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  Table* records = FindTableLocked(table);
  if (records == nullptr) return false;
  const auto it = records->find(key);
  if (it == records->end()) return false;
  records->erase(it);
  if (records->empty()) tables_.erase(tables_.find(table));
  return true;
}

Result<std::vector<Record>> MemoryDatabase::List(std::string_view table, std::string_view after_key,
                                                 size_t limit) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  std::vector<Record> out;
  const Table* records = FindTableLocked(table);
  if (records == nullptr) return out;
  for (auto it = records->upper_bound(after_key); it != records->end() && out.size() < limit;
       ++it) {
    out.push_back(Record{std::string(table), it->first, it->second.data, it->second.version});
  }
  return out;
}

Result<int64_t> MemoryDatabase::Count(std::string_view table) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  const Table* records = FindTableLocked(table);
  return records == nullptr ? int64_t{0} : static_cast<int64_t>(records->size());
}

}  // namespace protean
