#pragma once
// MemoryDatabase: the `memory` Database. Records live in process, one ordered
// map per table, so List returns keys in byte order (what PostgreSQL gives
// with COLLATE "C" and SQLite with its default BINARY collation).
//
// Semantics (core/database.h): versions start at 1 and grow by one per Put;
// Put's expected_version is checked atomically with the write and a mismatch
// (kConflict) changes nothing; Remove forgets the record, so a later Put
// starts again at version 1. Tables need no declaration: Setup() only
// succeeds, and an unknown table is an empty one. pool_stats() is all zeros
// (there is no pool).
//
// Thread-safety: every call takes one mutex. After Close() every call
// returns kUnavailable.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/database.h"
#include "core/mutex.h"

namespace protean {

class MemoryDatabase final : public Database {
 public:
  MemoryDatabase() = default;
  MemoryDatabase(const MemoryDatabase&) = delete;
  MemoryDatabase& operator=(const MemoryDatabase&) = delete;

  std::string_view provider() const override { return "memory"; }
  Status Ping() override;
  void Close() override;
  Status Setup() override;

  Result<std::optional<Record>> Get(std::string_view table, std::string_view key) override;
  Result<int64_t> Put(std::string_view table, std::string_view key, std::string_view data,
                      std::optional<int64_t> expected_version) override;
  Result<bool> Remove(std::string_view table, std::string_view key) override;
  Result<std::vector<Record>> List(std::string_view table, std::string_view after_key,
                                   size_t limit) override;
  Result<int64_t> Count(std::string_view table) override;

 private:
  struct Entry {
    std::string data;
    int64_t version = 0;
  };
  using Table = std::map<std::string, Entry, std::less<>>;

  Status CheckOpenLocked() const PROTEAN_REQUIRES(mu_);
  // The table, or nullptr when it has no records.
  Table* FindTableLocked(std::string_view table) PROTEAN_REQUIRES(mu_);

  mutable Mutex mu_;
  bool closed_ PROTEAN_GUARDED_BY(mu_) = false;
  std::map<std::string, Table, std::less<>> tables_ PROTEAN_GUARDED_BY(mu_);
};

}  // namespace protean
