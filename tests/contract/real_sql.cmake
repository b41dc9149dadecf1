# SQL adapters. sql_contract_test needs PostgreSQL + Message DB (DATABASE_URL,
# MESSAGE_DB_URL; each case skips with a reason when its variable is unset).
# sqlite_contract_test needs no server: SQLite, offline unit tests of the
# PostgreSQL helpers, and the SQL provider registrations.
protean_add_test(sql_contract_test LABELS contract real
  SOURCES sql_contract_test.cc pg_pool_test.cc
  LIBS protean_sql protean_memory protean_database_contract protean_event_store_contract)
protean_add_test(sqlite_contract_test LABELS contract
  SOURCES sql_sqlite_contract_test.cc
  LIBS protean_sql protean_tomlpp protean_database_contract)
