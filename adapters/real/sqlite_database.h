#pragma once
// SqliteDatabase: the `sqlite` Database (core/database.h) over the sqlite3 C
// API, with the same single records table as PostgresDatabase:
//
//   CREATE TABLE IF NOT EXISTS protean_records (tbl TEXT NOT NULL,
//     key TEXT NOT NULL, data TEXT NOT NULL, version INTEGER NOT NULL,
//     PRIMARY KEY (tbl, key))
//
// created by Setup() (idempotent). SQLite's BINARY collation compares bytes,
// so List returns keys in byte order, as MemoryDatabase does. Optimistic
// concurrency uses the same single statements as PostgreSQL (UPSERT ...
// RETURNING, SQLite >= 3.35), so it is atomic across processes too.
//
// database_uri follows SQLAlchemy: "sqlite:///relative/file.db",
// "sqlite:////absolute/file.db", and "sqlite:///:memory:" or "sqlite://" for a
// private in-memory database (gone on Close). A file database runs in WAL
// mode with busy_timeout (other processes' locks are waited for, then
// kTimeout).
//
// One connection, guarded by one mutex: calls are serialised. Statements are
// prepared on first use and kept. pool_stats() reports that connection
// (size 1). sqlite3 result codes become Status in one function
// (SqliteStatus in the .cc). After Close() every call returns kUnavailable.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/database.h"
#include "core/mutex.h"
#include "core/status.h"
#include "core/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace protean {

struct SqliteDatabaseOptions {
  std::string path;  // a file path, or ":memory:"
  Duration busy_timeout = Seconds(5);
  // The physical table: [a-z_][a-z0-9_]*.
  std::string records_table = "protean_records";
};

class SqliteDatabase final : public Database {
 public:
  // The path in a "sqlite://" URI (see above); kInvalidArgument otherwise.
  static Result<std::string> PathFromUri(std::string_view database_uri);

  // Opens (creating) the file now: kUnavailable when it cannot be opened,
  // kInvalidArgument for bad options.
  static Result<std::unique_ptr<SqliteDatabase>> Open(SqliteDatabaseOptions options);
  ~SqliteDatabase() override;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  std::string_view provider() const override { return "sqlite"; }
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
  PoolStats pool_stats() const override;

 private:
  class Statement;  // a prepared statement, reset and unbound after each use

  SqliteDatabase(sqlite3* db, SqliteDatabaseOptions options);
  Status CheckOpenLocked() const PROTEAN_REQUIRES(mu_);
  // The cached statement `name` for `sql`, prepared on first use.
  Result<Statement*> PrepareLocked(const std::string& name, const std::string& sql)
      PROTEAN_REQUIRES(mu_);
  Status ExecLocked(const std::string& sql) PROTEAN_REQUIRES(mu_);
  // Runs the cached statement `name` (`sql`) to completion: `bind` binds its
  // parameters (returning a sqlite3 code), `on_row` reads each result row.
  Status StepLocked(const std::string& name, const std::string& sql,
                    const std::function<int(sqlite3_stmt*)>& bind,
                    const std::function<void(sqlite3_stmt*)>& on_row) PROTEAN_REQUIRES(mu_);
  std::string Sql(std::string_view text) const;  // `text` with {t} = the records table
  void CloseLocked() PROTEAN_REQUIRES(mu_);

  const SqliteDatabaseOptions options_;
  mutable Mutex mu_;
  sqlite3* db_ PROTEAN_GUARDED_BY(mu_) = nullptr;  // null once closed
  // For pool_stats(), which must not wait for a running call.
  std::atomic<bool> open_{true};
  std::atomic<bool> busy_{false};
  std::map<std::string, std::unique_ptr<Statement>> statements_ PROTEAN_GUARDED_BY(mu_);
};

}  // namespace protean
