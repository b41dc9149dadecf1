# SQL adapters: PostgreSQL (libpqxx), Message DB (libpqxx), SQLite (sqlite3).
# Paths relative to adapters/real.
protean_library(protean_sql
  SRCS
    pg_conninfo.cc
    pg_error.cc
    pg_pool.cc
    postgres_database.cc
    sqlite_database.cc
    message_db_event_store.cc
    register_sql.cc
  DEPS protean_engine PkgConfig::PQXX PkgConfig::SQLITE3
)
