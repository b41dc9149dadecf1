#include "adapters/real/sqlite_database.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/real/database_text.h"
#include "core/status.h"

namespace protean {
namespace {

using database_text::IsPlainIdentifier;
using database_text::Where;

constexpr std::string_view kUriPrefix = "sqlite://";
constexpr int kStepsMax = 1 << 30;  // bound on rows stepped through by one call

// The one place a sqlite3 result code becomes a Status.
Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message = std::string(what) + ": " + (detail != nullptr ? detail : "") + " (sqlite " +
                        std::to_string(rc) + ")";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Timeout(std::move(message));  // busy_timeout ran out
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return Status::Conflict(std::move(message));
      }
      return Status::InvalidArgument(std::move(message));
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      return Status::InvalidArgument(std::move(message));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
      return Status::Unavailable(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

// Bound without a copy (a null destructor is SQLITE_STATIC): the text must
// outlive the step, which it does within one call.
int BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  return sqlite3_bind_text64(stmt, index, text.empty() ? "" : text.data(), text.size(), nullptr,
                             SQLITE_UTF8);
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const auto* text = sqlite3_column_text(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

}  // namespace

// A cached prepared statement. Use() hands it out and resets it (and clears
// its bindings) when the returned guard goes out of scope.
class SqliteDatabase::Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  struct Use {
    explicit Use(sqlite3_stmt* s) : stmt(s) {}
    ~Use() {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    sqlite3_stmt* stmt;
  };
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

Result<std::string> SqliteDatabase::PathFromUri(std::string_view uri) {
  if (uri.substr(0, kUriPrefix.size()) != kUriPrefix) {
    return Status::InvalidArgument("sqlite database_uri must start with sqlite:/// (got '" +
                                   std::string(uri) + "')");
  }
  std::string_view rest = uri.substr(kUriPrefix.size());
  if (rest.empty()) return std::string(":memory:");  // "sqlite://"
  if (rest[0] != '/') {
    return Status::InvalidArgument("sqlite database_uri takes no host: use sqlite:///path (got '" +
                                   std::string(uri) + "')");
  }
  rest.remove_prefix(1);
  if (rest.find('?') != std::string_view::npos) {
    return Status::InvalidArgument("sqlite database_uri: query parameters are not supported");
  }
  if (rest.empty()) return std::string(":memory:");
  return std::string(rest);
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(SqliteDatabaseOptions options) {
  if (options.path.empty()) return Status::InvalidArgument("sqlite: empty database path");
  if (!IsPlainIdentifier(options.records_table)) {
    return Status::InvalidArgument("sqlite: records_table must match [a-z_][a-z0-9_]* (got '" +
                                   options.records_table + "')");
  }
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteStatus(db, rc, "sqlite: open " + options.path);
    sqlite3_close_v2(db);
    // Whatever the code, a database that cannot be opened is unreachable.
    return Status::Unavailable(status.message());
  }
  sqlite3_extended_result_codes(db, 1);
  const int64_t busy_ms = std::clamp<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options.busy_timeout).count(), 0,
      std::numeric_limits<int>::max());
  sqlite3_busy_timeout(db, static_cast<int>(busy_ms));
  std::unique_ptr<SqliteDatabase> out(new SqliteDatabase(db, std::move(options)));
  if (out->options_.path != ":memory:") {
    MutexLock lock(&out->mu_);
    // journal_mode answers with a row; sqlite3_exec discards it.
    Status wal = out->ExecLocked("PRAGMA journal_mode=WAL");
    if (!wal.ok()) return wal;
  }
  return out;
}

SqliteDatabase::SqliteDatabase(sqlite3* db, SqliteDatabaseOptions options)
    : options_(std::move(options)), db_(db) {}

SqliteDatabase::~SqliteDatabase() { Close(); }

void SqliteDatabase::Close() {
  MutexLock lock(&mu_);
  CloseLocked();
}

void SqliteDatabase::CloseLocked() {
  statements_.clear();  // finalized before the connection closes
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
  open_ = false;
}

Status SqliteDatabase::CheckOpenLocked() const {
  if (db_ == nullptr) return Status::Unavailable("sqlite database is closed");
  return Status::Ok();
}

Status SqliteDatabase::ExecLocked(const std::string& sql) {
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "sqlite: exec");
  return Status::Ok();
}

Result<SqliteDatabase::Statement*> SqliteDatabase::PrepareLocked(const std::string& name,
                                                                 const std::string& sql) {
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  auto it = statements_.find(name);
  if (it != statements_.end()) return it->second.get();
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteStatus(db_, rc, "sqlite: prepare " + name);
  }
  auto [inserted, unused] = statements_.emplace(name, std::make_unique<Statement>(stmt));
  (void)unused;
  return inserted->second.get();
}

PoolStats SqliteDatabase::pool_stats() const {
  PoolStats out;
  out.size = 1;
  const bool open = open_.load();
  const bool busy = busy_.load();
  out.checked_out = open && busy ? 1 : 0;
  out.checked_in = open && !busy ? 1 : 0;
  return out;
}

std::string SqliteDatabase::Sql(std::string_view text) const {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 3) == "{t}") {
      out += options_.records_table;
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

Status SqliteDatabase::StepLocked(const std::string& name, const std::string& sql,
                                  const std::function<int(sqlite3_stmt*)>& bind,
                                  const std::function<void(sqlite3_stmt*)>& on_row) {
  Result<Statement*> prepared = PrepareLocked(name, sql);
  if (!prepared.ok()) return prepared.status();
  Statement::Use use((*prepared)->get());
  int rc = bind ? bind(use.stmt) : SQLITE_OK;
  if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "sqlite: bind " + name);
  for (int step = 0; step < kStepsMax; ++step) {
    rc = sqlite3_step(use.stmt);
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc != SQLITE_ROW) return SqliteStatus(db_, rc, "sqlite: " + name);
    if (on_row) on_row(use.stmt);
  }
  return Status::Internal("sqlite: " + name + ": too many rows");
}

namespace {

// Marks the connection busy for pool_stats() while a call runs.
class BusyScope {
 public:
  explicit BusyScope(std::atomic<bool>& busy) : busy_(busy) { busy_ = true; }
  ~BusyScope() { busy_ = false; }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;

 private:
  std::atomic<bool>& busy_;
};

}  // namespace

Status SqliteDatabase::Ping() {
  MutexLock lock(&mu_);
  BusyScope busy(busy_);
  return StepLocked("ping", "SELECT 1", nullptr, nullptr);
}

Status SqliteDatabase::Setup() {
  MutexLock lock(&mu_);
  BusyScope busy(busy_);
  return ExecLocked(
      Sql("CREATE TABLE IF NOT EXISTS {t} (tbl TEXT NOT NULL, key TEXT NOT NULL,"
          " data TEXT NOT NULL, version INTEGER NOT NULL CHECK (version >= 1),"
          " PRIMARY KEY (tbl, key))"));
}

Result<std::optional<Record>> SqliteDatabase::Get(std::string_view table, std::string_view key) {
  MutexLock lock(&mu_);
  BusyScope busy(busy_);
  std::optional<Record> out;
  Status status = StepLocked(
      "get", Sql("SELECT data, version FROM {t} WHERE tbl = ?1 AND key = ?2"),
      [&](sqlite3_stmt* s) {
        const int rc = BindText(s, 1, table);
        return rc != SQLITE_OK ? rc : BindText(s, 2, key);
      },
      [&](sqlite3_stmt* s) {
        out = Record{std::string(table), std::string(key), ColumnText(s, 0),
                     sqlite3_column_int64(s, 1)};
      });
  if (!status.ok()) return status;
  return out;
}

Result<int64_t> SqliteDatabase::Put(std::string_view table, std::string_view key,
                                    std::string_view data,
                                    std::optional<int64_t> expected_version) {
  MutexLock lock(&mu_);
  BusyScope busy(busy_);
  std::optional<int64_t> version;
  const auto bind = [&](sqlite3_stmt* s) {
    int rc = BindText(s, 1, table);
    if (rc == SQLITE_OK) rc = BindText(s, 2, key);
    if (rc == SQLITE_OK) rc = BindText(s, 3, data);
    if (rc == SQLITE_OK && expected_version.has_value() && *expected_version != 0) {
      rc = sqlite3_bind_int64(s, 4, *expected_version);
    }
    return rc;
  };
  const auto read_version = [&](sqlite3_stmt* s) { version = sqlite3_column_int64(s, 0); };
  Status status;
  if (!expected_version.has_value()) {
    status = StepLocked("put_any",
                        Sql("INSERT INTO {t} (tbl, key, data, version) VALUES (?1, ?2, ?3, 1)"
                            " ON CONFLICT (tbl, key) DO UPDATE SET data = excluded.data,"
                            " version = {t}.version + 1 RETURNING version"),
                        bind, read_version);
  } else if (*expected_version == 0) {
    status = StepLocked("put_new",
                        Sql("INSERT INTO {t} (tbl, key, data, version) VALUES (?1, ?2, ?3, 1)"
                            " ON CONFLICT (tbl, key) DO NOTHING RETURNING version"),
                        bind, read_version);
    if (status.ok() && !version.has_value()) {
      return Status::Conflict("record already exists" + Where(table, key));
    }
  } else {
    status = StepLocked("put_if",
                        Sql("UPDATE {t} SET data = ?3, version = version + 1"
                            " WHERE tbl = ?1 AND key = ?2 AND version = ?4 RETURNING version"),
                        bind, read_version);
    if (status.ok() && !version.has_value()) {
      return Status::Conflict("wrong expected version: " + std::to_string(*expected_version) +
                              Where(table, key));
    }
  }
  if (!status.ok()) return status;
  if (!version.has_value()) return Status::Internal("sqlite: put returned no version");
  return *version;
}

Result<bool> SqliteDatabase::Remove(std::string_view table, std::string_view key) {
  MutexLock lock(&mu_);
  BusyScope busy(busy_);
  Status status = StepLocked(
      "remove", Sql("DELETE FROM {t} WHERE tbl = ?1 AND key = ?2"),
      [&](sqlite3_stmt* s) {
        const int rc = BindText(s, 1, table);
        return rc != SQLITE_OK ? rc : BindText(s, 2, key);
      },
      nullptr);
  if (!status.ok()) return status;
  return sqlite3_changes(db_) > 0;
}

Result<std::vector<Record>> SqliteDatabase::List(std::string_view table, std::string_view after_key,
                                                 size_t limit) {
  MutexLock lock(&mu_);
  BusyScope busy(busy_);
  const auto bounded_limit = static_cast<sqlite3_int64>(
      std::min<uint64_t>(limit, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  std::vector<Record> out;
  Status status = StepLocked(
      "list",
      Sql("SELECT key, data, version FROM {t} WHERE tbl = ?1 AND key > ?2 ORDER BY key LIMIT ?3"),
      [&](sqlite3_stmt* s) {
        int rc = BindText(s, 1, table);
        if (rc == SQLITE_OK) rc = BindText(s, 2, after_key);
        if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 3, bounded_limit);
        return rc;
      },
      [&](sqlite3_stmt* s) {
        out.push_back(Record{std::string(table), ColumnText(s, 0), ColumnText(s, 1),
                             sqlite3_column_int64(s, 2)});
      });
  if (!status.ok()) return status;
  return out;
}

Result<int64_t> SqliteDatabase::Count(std::string_view table) {
  MutexLock lock(&mu_);
  BusyScope busy(busy_);
  int64_t count = 0;
  Status status = StepLocked(
      "count", Sql("SELECT count(*) FROM {t} WHERE tbl = ?1"),
      [&](sqlite3_stmt* s) { return BindText(s, 1, table); },
      [&](sqlite3_stmt* s) { count = sqlite3_column_int64(s, 0); });
  if (!status.ok()) return status;
  return count;
}

}  // namespace protean
