#pragma once
// A Database stores records by (table, key) with a version, enough for
// handlers and for the harness's processed-ledger. Versions start at 1 and
// grow by one on every write; a write can demand the version it expects
// (optimistic concurrency).
//
// Implementations: MemoryDatabase (`memory`), PostgresDatabase (`postgresql`),
// SqliteDatabase (`sqlite`); all pass tests/contract/database_contract.h.
// Calls are blocking and may come from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace protean {

struct Record {
  std::string table;
  std::string key;
  std::string data;
  int64_t version = 0;
};

struct PoolStats {
  int64_t size = 0;         // configured pool_size
  int64_t checked_out = 0;  // connections in use
  int64_t overflow = 0;     // connections above pool_size in use
  int64_t checked_in = 0;   // idle connections
};

class Database {
 public:
  virtual ~Database() = default;

  virtual std::string_view provider() const = 0;
  virtual Status Ping() = 0;
  virtual void Close() {}
  // Creates what the backend needs (tables); idempotent.
  virtual Status Setup() = 0;

  virtual Result<std::optional<Record>> Get(std::string_view table, std::string_view key) = 0;
  // Writes `data` and returns the new version. expected_version: nullopt =
  // unconditional upsert; 0 = the key must not exist; n = the current version
  // must be n. A mismatch is kConflict and changes nothing.
  virtual Result<int64_t> Put(std::string_view table, std::string_view key, std::string_view data,
                              std::optional<int64_t> expected_version) = 0;
  // Returns whether the key existed.
  virtual Result<bool> Remove(std::string_view table, std::string_view key) = 0;
  // Records with key > after_key, ordered by key, at most `limit`.
  virtual Result<std::vector<Record>> List(std::string_view table, std::string_view after_key,
                                           size_t limit) = 0;
  virtual Result<int64_t> Count(std::string_view table) = 0;
  virtual PoolStats pool_stats() const { return {}; }
};

}  // namespace protean
