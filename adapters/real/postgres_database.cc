#include "adapters/real/postgres_database.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "adapters/real/database_text.h"
#include "adapters/real/pg_conninfo.h"
#include "adapters/real/pg_pool.h"
#include "core/status.h"

namespace protean {
namespace {

using Retry = PgPool::Retry;
using database_text::IsPlainIdentifier;
using database_text::Where;

// Registers the statements on a new connection (libpqxx 6 prepares each one
// on first use). `t` is a checked identifier.
void PrepareDatabaseStatements(pqxx::connection& conn, const std::string& t) {
  conn.prepare("db_get", "SELECT data, version FROM " + t + " WHERE tbl = $1 AND key = $2");
  conn.prepare("db_put_any",
               "INSERT INTO " + t + " (tbl, key, data, version) VALUES ($1, $2, $3, 1) " +
                   "ON CONFLICT (tbl, key) DO UPDATE SET data = EXCLUDED.data, version = " + t +
                   ".version + 1 RETURNING version");
  conn.prepare("db_put_new", "INSERT INTO " + t +
                                 " (tbl, key, data, version) VALUES ($1, $2, $3, 1) "
                                 "ON CONFLICT (tbl, key) DO NOTHING RETURNING version");
  // The outer SELECT reads the statement's snapshot, so on a mismatch it
  // reports the version the UPDATE saw (for the message only).
  conn.prepare("db_put_if", "WITH updated AS (UPDATE " + t +
                                " SET data = $3, version = version + 1"
                                " WHERE tbl = $1 AND key = $2 AND version = $4::bigint"
                                " RETURNING version) "
                                "SELECT (SELECT version FROM updated), (SELECT version FROM " +
                                t + " WHERE tbl = $1 AND key = $2)");
  conn.prepare("db_remove", "DELETE FROM " + t + " WHERE tbl = $1 AND key = $2");
  conn.prepare("db_list", "SELECT key, data, version FROM " + t +
                              " WHERE tbl = $1 AND key > $2 ORDER BY key LIMIT $3::bigint");
  conn.prepare("db_count", "SELECT count(*) FROM " + t + " WHERE tbl = $1");
}

}  // namespace

Result<std::unique_ptr<PostgresDatabase>> PostgresDatabase::Create(PostgresDatabaseOptions options,
                                                                   const Clock& clock) {
  const std::string& where = options.name;
  if (options.pool_size < 1) {
    return Status::InvalidArgument(where + ": pool_size must be at least 1");
  }
  if (options.max_overflow < 0) {
    return Status::InvalidArgument(where + ": max_overflow must not be negative");
  }
  if (options.pool_timeout < Duration::zero()) {
    return Status::InvalidArgument(where + ": pool_timeout must not be negative");
  }
  if (!IsPlainIdentifier(options.records_table)) {
    return Status::InvalidArgument(where + ": records_table must match [a-z_][a-z0-9_]* (got '" +
                                   options.records_table + "')");
  }
  PgConnParams params;
  params.connect_timeout = options.connect_timeout;
  Result<std::string> conninfo = BuildPgConninfo(options.database_uri, params);
  if (!conninfo.ok()) {
    return Status::InvalidArgument(where + ": " + conninfo.status().message());
  }

  PgPoolOptions pool;
  pool.conninfo = std::move(*conninfo);
  pool.name = options.name;
  pool.pool_size = options.pool_size;
  pool.max_overflow = options.max_overflow;
  pool.recycle = options.pool_recycle;
  pool.pre_ping = options.pool_pre_ping;
  pool.timeout = options.pool_timeout;
  pool.on_connect = [table = options.records_table](pqxx::connection& conn) {
    PrepareDatabaseStatements(conn, table);
  };
  return std::unique_ptr<PostgresDatabase>(
      new PostgresDatabase(std::move(pool), std::move(options.records_table), clock));
}

PostgresDatabase::PostgresDatabase(PgPoolOptions pool_options, std::string records_table,
                                   const Clock& clock)
    : records_table_(std::move(records_table)), pool_(std::move(pool_options), clock) {}

PostgresDatabase::~PostgresDatabase() { Close(); }

void PostgresDatabase::Close() { pool_.Close(); }

Status PostgresDatabase::Ping() {
  Result<bool> pinged =
      pool_.Run<bool>("ping", Retry::kOnLostConnection, [](pqxx::connection& conn, int) {
        pqxx::nontransaction tx(conn);
        tx.exec1("SELECT 1");
        return Result<bool>(true);
      });
  return pinged.status();
}

Status PostgresDatabase::Setup() {
  const std::string& t = records_table_;
  Result<bool> done =
      pool_.Run<bool>("setup", Retry::kOnLostConnection, [&](pqxx::connection& conn, int) {
        pqxx::work tx(conn);
        // "relation already exists, skipping" is not worth a notice.
        tx.exec0("SET LOCAL client_min_messages = warning");
        // Concurrent CREATE TABLE IF NOT EXISTS can still collide in the
        // catalog (23505 on pg_type): serialise Setup across processes.
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", "protean.setup." + t);
        tx.exec0("CREATE TABLE IF NOT EXISTS " + t +
                 " (tbl text COLLATE \"C\" NOT NULL, key text COLLATE \"C\" NOT NULL,"
                 " data text NOT NULL, version bigint NOT NULL CHECK (version >= 1),"
                 " PRIMARY KEY (tbl, key))");
        tx.commit();
        return Result<bool>(true);
      });
  return done.status();
}

Result<std::optional<Record>> PostgresDatabase::Get(std::string_view table, std::string_view key) {
  using Out = std::optional<Record>;
  return pool_.Run<Out>("get", Retry::kOnLostConnection, [&](pqxx::connection& conn, int) {
    pqxx::nontransaction tx(conn);
    const pqxx::result r = tx.exec_prepared("db_get", std::string(table), std::string(key));
    Out out;
    if (!r.empty()) {
      out = Record{std::string(table), std::string(key), r[0][0].as<std::string>(),
                   r[0][1].as<int64_t>()};
    }
    return Result<Out>(std::move(out));
  });
}

Result<int64_t> PostgresDatabase::Put(std::string_view table, std::string_view key,
                                      std::string_view data,
                                      std::optional<int64_t> expected_version) {
  // Not repeated after a lost connection: the first attempt may have
  // committed, and a second one would add a version or report a conflict.
  return pool_.Run<int64_t>("put", Retry::kNever, [&](pqxx::connection& conn, int) {
    pqxx::nontransaction tx(conn);
    const std::string t(table), k(key), d(data);
    if (!expected_version.has_value()) {
      return Result<int64_t>(tx.exec_prepared1("db_put_any", t, k, d)[0].as<int64_t>());
    }
    if (*expected_version == 0) {
      const pqxx::result r = tx.exec_prepared("db_put_new", t, k, d);
      if (r.empty())
        return Result<int64_t>(Status::Conflict("record already exists" + Where(t, k)));
      return Result<int64_t>(r[0][0].as<int64_t>());
    }
    const pqxx::row r = tx.exec_prepared1("db_put_if", t, k, d, *expected_version);
    if (!r[0].is_null()) return Result<int64_t>(r[0].as<int64_t>());
    const int64_t current = r[1].is_null() ? 0 : r[1].as<int64_t>();
    return Result<int64_t>(
        Status::Conflict("wrong expected version: " + std::to_string(*expected_version) +
                         ", current version: " + std::to_string(current) + Where(t, k)));
  });
}

Result<bool> PostgresDatabase::Remove(std::string_view table, std::string_view key) {
  // Not repeated: a second DELETE would report a removed key as missing.
  return pool_.Run<bool>("remove", Retry::kNever, [&](pqxx::connection& conn, int) {
    pqxx::nontransaction tx(conn);
    const pqxx::result r = tx.exec_prepared("db_remove", std::string(table), std::string(key));
    return Result<bool>(r.affected_rows() > 0);
  });
}

Result<std::vector<Record>> PostgresDatabase::List(std::string_view table,
                                                   std::string_view after_key, size_t limit) {
  using Out = std::vector<Record>;
  const int64_t bounded_limit = static_cast<int64_t>(
      std::min<uint64_t>(limit, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  return pool_.Run<Out>("list", Retry::kOnLostConnection, [&](pqxx::connection& conn, int) {
    pqxx::nontransaction tx(conn);
    const pqxx::result r =
        tx.exec_prepared("db_list", std::string(table), std::string(after_key), bounded_limit);
    Out out;
    out.reserve(r.size());
    for (const pqxx::row& row : r) {
      out.push_back(Record{std::string(table), row[0].as<std::string>(), row[1].as<std::string>(),
                           row[2].as<int64_t>()});
    }
    return Result<Out>(std::move(out));
  });
}

Result<int64_t> PostgresDatabase::Count(std::string_view table) {
  return pool_.Run<int64_t>("count", Retry::kOnLostConnection, [&](pqxx::connection& conn, int) {
    pqxx::nontransaction tx(conn);
    return Result<int64_t>(tx.exec_prepared1("db_count", std::string(table))[0].as<int64_t>());
  });
}

}  // namespace protean
