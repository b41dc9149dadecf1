#pragma once
// PostgresDatabase: the `postgresql` Database (core/database.h) over
// libpqxx 6.4. Every record of every logical table lives in one physical
// table, by default:
//
//   CREATE TABLE protean_records (tbl text COLLATE "C", key text COLLATE "C",
//                                 data text, version bigint,
//                                 PRIMARY KEY (tbl, key))
//
// created by Setup() (idempotent, serialised by an advisory lock so several
// processes may run it at once). COLLATE "C" makes List return keys in byte
// order whatever the server's locale, as MemoryDatabase does.
//
// Optimistic concurrency is decided by one statement each, so it is atomic
// without explicit transactions: expected 0 is INSERT ... ON CONFLICT DO
// NOTHING, expected n is UPDATE ... WHERE version = n, nullopt is an upsert
// that sets version = version + 1; no row back means kConflict. Every
// statement is prepared on each new connection (libpqxx prepares lazily).
//
// Connections come from a PgPool (pg_pool.h) configured by pool_size,
// max_overflow, pool_recycle, pool_pre_ping, pool_timeout; connect_timeout
// goes into the conninfo. A call whose connection is lost is retried once on
// a fresh connection when repeating it is harmless (Ping, Setup, Get, List,
// Count); Put and Remove are not repeated (their effect or result could be
// doubled) and return kUnavailable. pqxx errors become Status in
// ClassifyPgError (pg_error.h) only.
//
// Thread-safety: every method may be called from any thread. After Close()
// every call returns kUnavailable.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/real/pg_pool.h"
#include "core/clock.h"
#include "core/database.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

struct PostgresDatabaseOptions {
  std::string database_uri;         // libpq URI or key/value string
  std::string name = "postgresql";  // prefixes error messages ("databases.default")
  int64_t pool_size = 5;
  int64_t max_overflow = 10;
  std::optional<Duration> pool_recycle = Seconds(1800);  // nullopt: never
  bool pool_pre_ping = true;
  Duration pool_timeout = Seconds(30);
  std::optional<Duration> connect_timeout;
  // The physical table: [a-z_][a-z0-9_]*, at most 63 characters.
  std::string records_table = "protean_records";
};

class PostgresDatabase final : public Database {
 public:
  // Validates the options (kInvalidArgument) and builds the pool; connects
  // lazily, on the first call. `clock` (connection age) must outlive it.
  static Result<std::unique_ptr<PostgresDatabase>> Create(PostgresDatabaseOptions options,
                                                          const Clock& clock);
  ~PostgresDatabase() override;
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  std::string_view provider() const override { return "postgresql"; }
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
  PoolStats pool_stats() const override { return pool_.stats(); }

  // The pool itself, for tests and pool metrics.
  PgPool& pool() { return pool_; }
  const std::string& records_table() const { return records_table_; }

 private:
  PostgresDatabase(PgPoolOptions pool_options, std::string records_table, const Clock& clock);

  const std::string records_table_;
  PgPool pool_;
};

}  // namespace protean
