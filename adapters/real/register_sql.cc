// Factories of the SQL adapters, from the validated config sections
// (core/config/sections.h). Nothing connects here: PostgreSQL and Message DB
// connect on first use (Ping at readiness), SQLite opens its file.
//
// databases.<name>, provider "postgresql" -> PostgresDatabase:
//   database_uri (required), pool_size, max_overflow, pool_recycle (-1 never),
//   pool_pre_ping, pool_timeout (default 30 s), connect_timeout (conninfo);
//   extra key records_table (string, default "protean_records").
// databases.<name>, provider "sqlite" -> SqliteDatabase:
//   database_uri "sqlite:///file.db" / "sqlite:////abs/file.db" /
//   "sqlite:///:memory:"; pool_timeout is the busy timeout (default 5 s);
//   the pool keys do not apply (one connection); extra key records_table.
// event_store, provider "message_db" -> MessageDbEventStore:
//   database_uri (required), max_connections (pool size, default 5, no
//   overflow); extra keys pool_timeout, connect_timeout (seconds, > 0),
//   pool_recycle (seconds, -1 never), pool_pre_ping (bool, default false: see MessageDbOptions).
// "elasticsearch" (and "mssql") are deliberately not registered: the registry
// answers "provider 'elasticsearch' is not available in this build".

#include "adapters/real/register_sql.h"

#include <memory>
#include <optional>
#include <string>

#include "adapters/real/message_db_event_store.h"
#include "adapters/real/postgres_database.h"
#include "adapters/real/sqlite_database.h"
#include "core/clock.h"
#include "core/config/pass_through.h"
#include "core/config/sections.h"
#include "core/runtime/real_executor.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {
namespace {

const Clock& ClockOf(const AdapterEnv& env) {
  static const RealClock real_clock;
  return env.clock != nullptr ? *env.clock : real_clock;
}

std::optional<Duration> RecycleOf(int64_t seconds) {
  if (seconds < 0) return std::nullopt;  // -1: never
  return Seconds(seconds);
}

// An optional string in `extra`; kInvalidArgument for another type.
Result<std::optional<std::string>> ExtraString(const PassThroughKeys& extra,
                                               const std::string& where, const char* key) {
  return config::PassThroughString(extra, where, key);
}

// An optional number of seconds > 0 (or >= -1 when `allow_never`) in `extra`.
Result<std::optional<double>> ExtraSeconds(const PassThroughKeys& extra, const std::string& where,
                                           const char* key, bool allow_never) {
  Result<std::optional<double>> value = config::PassThroughNumber(extra, where, key);
  if (value.ok() && !value->has_value()) return value;
  if (!value.ok() || !(**value > 0 || (allow_never && **value == -1))) {
    return Status::InvalidArgument(where + "." + key + ": expected a number of seconds > 0" +
                                   (allow_never ? " or -1" : ""));
  }
  return value;
}

Result<std::unique_ptr<Database>> MakePostgres(const config::DatabaseConfig& c,
                                               const AdapterEnv& env) {
  const std::string where = "databases." + c.name;
  if (c.database_uri.empty()) return Status::InvalidArgument(where + ": database_uri is required");
  PostgresDatabaseOptions options;
  options.database_uri = c.database_uri;
  options.name = where;
  options.pool_size = c.pool_size;
  options.max_overflow = c.max_overflow;
  options.pool_recycle = RecycleOf(c.pool_recycle);
  options.pool_pre_ping = c.pool_pre_ping;
  if (c.pool_timeout.has_value()) options.pool_timeout = SecondsF(*c.pool_timeout);
  if (c.connect_timeout.has_value()) options.connect_timeout = SecondsF(*c.connect_timeout);
  Result<std::optional<std::string>> table = ExtraString(c.extra, where, "records_table");
  if (!table.ok()) return table.status();
  if (table->has_value()) options.records_table = **table;
  Result<std::unique_ptr<PostgresDatabase>> db =
      PostgresDatabase::Create(std::move(options), ClockOf(env));
  if (!db.ok()) return db.status();
  return std::unique_ptr<Database>(std::move(*db));
}

Result<std::unique_ptr<Database>> MakeSqlite(const config::DatabaseConfig& c,
                                             const AdapterEnv& /*env*/) {
  const std::string where = "databases." + c.name;
  Result<std::string> path = SqliteDatabase::PathFromUri(c.database_uri);
  if (!path.ok()) return Status(path.status().code(), where + ": " + path.status().message());
  SqliteDatabaseOptions options;
  options.path = std::move(*path);
  if (c.pool_timeout.has_value()) options.busy_timeout = SecondsF(*c.pool_timeout);
  Result<std::optional<std::string>> table = ExtraString(c.extra, where, "records_table");
  if (!table.ok()) return table.status();
  if (table->has_value()) options.records_table = **table;
  Result<std::unique_ptr<SqliteDatabase>> db = SqliteDatabase::Open(std::move(options));
  if (!db.ok()) return Status(db.status().code(), where + ": " + db.status().message());
  return std::unique_ptr<Database>(std::move(*db));
}

Result<std::unique_ptr<EventStore>> MakeMessageDb(const config::EventStoreConfig& c,
                                                  const AdapterEnv& env) {
  const std::string where = "event_store";
  if (c.database_uri.empty()) return Status::InvalidArgument(where + ": database_uri is required");
  MessageDbOptions options;
  options.database_uri = c.database_uri;
  if (c.max_connections.has_value()) options.max_connections = *c.max_connections;
  Result<std::optional<double>> timeout = ExtraSeconds(c.extra, where, "pool_timeout", false);
  if (!timeout.ok()) return timeout.status();
  if (timeout->has_value()) options.pool_timeout = SecondsF(**timeout);
  Result<std::optional<double>> connect = ExtraSeconds(c.extra, where, "connect_timeout", false);
  if (!connect.ok()) return connect.status();
  if (connect->has_value()) options.connect_timeout = SecondsF(**connect);
  Result<std::optional<double>> recycle = ExtraSeconds(c.extra, where, "pool_recycle", true);
  if (!recycle.ok()) return recycle.status();
  if (recycle->has_value()) {
    options.pool_recycle = **recycle < 0 ? std::nullopt : std::optional(SecondsF(**recycle));
  }
  Result<std::optional<bool>> pre_ping = config::PassThroughBool(c.extra, where, "pool_pre_ping");
  if (!pre_ping.ok()) return pre_ping.status();
  if (pre_ping->has_value()) options.pool_pre_ping = **pre_ping;
  Result<std::unique_ptr<MessageDbEventStore>> store =
      MessageDbEventStore::Create(std::move(options), ClockOf(env));
  if (!store.ok()) return store.status();
  return std::unique_ptr<EventStore>(std::move(*store));
}

}  // namespace

void RegisterSqlAdapters(AdapterRegistry& registry) {
  registry.RegisterDatabase("postgresql", MakePostgres);
  registry.RegisterDatabase("sqlite", MakeSqlite);
  registry.RegisterEventStore("message_db", MakeMessageDb);
}

}  // namespace protean
