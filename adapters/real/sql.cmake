# SQL adapters: PostgreSQL (libpqxx), Message DB (libpqxx), SQLite (sqlite3).
target_sources(protean_real PRIVATE
  pg_conninfo.cc
  pg_error.cc
  pg_pool.cc
  postgres_database.cc
  sqlite_database.cc
  message_db_event_store.cc
  register_sql.cc
)
