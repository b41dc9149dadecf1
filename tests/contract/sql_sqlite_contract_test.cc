// The SQL adapter tests that need no server (target sqlite_contract_test,
// label `contract` only): the Database contract for SqliteDatabase on a temp
// file and in memory, SQLite specifics, and offline unit tests of the
// PostgreSQL helpers (conninfo building, pqxx error mapping, timestamp
// parsing) and of the SQL provider registrations (elasticsearch is not
// available in this build).

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <toml++/toml.h>
#include <pqxx/pqxx>

#include "adapters/real/message_db_event_store.h"
#include "adapters/real/pg_conninfo.h"
#include "adapters/real/pg_error.h"
#include "adapters/real/register_sql.h"
#include "adapters/real/sqlite_database.h"
#include "core/config/pass_through.h"
#include "core/config/sections.h"
#include "core/engine/adapter_registry.h"
#include "core/runtime/real_executor.h"
#include "core/status.h"
#include "core/time.h"
#include "tests/contract/database_contract.h"

namespace protean {
namespace {

// A directory for this process's SQLite files, removed at exit.
const std::filesystem::path& TempDir() {
  static const std::filesystem::path dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "protean_sqlite_XXXXXX").string();
    PROTEAN_CHECK(mkdtemp(pattern.data()) != nullptr);
    std::filesystem::path made(pattern);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(TempDir(), ignored);
    });
    return made;
  }();
  return dir;
}

std::string TempFile() {
  static std::atomic<int> serial{0};
  return (TempDir() / ("db_" + std::to_string(++serial) + ".db")).string();
}

std::unique_ptr<Database> OpenSqlite(std::string path) {
  SqliteDatabaseOptions options;
  options.path = std::move(path);
  auto db = SqliteDatabase::Open(std::move(options));
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(*db) : nullptr;
}

DatabaseBackend SqliteFileBackend() {
  return {.name = "file",
          .make = [](Clock& /*clock*/) { return OpenSqlite(TempFile()); },
          .simulated_time = false};
}

DatabaseBackend SqliteMemoryBackend() {
  return {.name = "memory",
          .make = [](Clock& /*clock*/) { return OpenSqlite(":memory:"); },
          .simulated_time = false};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, DatabaseContractTest,
                         ::testing::Values(SqliteFileBackend(), SqliteMemoryBackend()),
                         contract::BackendName());

namespace {

using contract::HasCode;

// --- SQLite specifics -------------------------------------------------------------

TEST(SqliteDatabaseTest, PathFromUriFollowsSqlAlchemy) {
  EXPECT_EQ(*SqliteDatabase::PathFromUri("sqlite:///data/app.db"), "data/app.db");
  EXPECT_EQ(*SqliteDatabase::PathFromUri("sqlite:////tmp/app.db"), "/tmp/app.db");
  EXPECT_EQ(*SqliteDatabase::PathFromUri("sqlite:///:memory:"), ":memory:");
  EXPECT_EQ(*SqliteDatabase::PathFromUri("sqlite://"), ":memory:");
  for (const char* bad :
       {"postgresql://x/y", "sqlite://host/file.db", "sqlite:///f.db?mode=ro", "", "file.db"}) {
    EXPECT_TRUE(HasCode(SqliteDatabase::PathFromUri(bad).status(), StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(SqliteDatabaseTest, SetupIsIdempotentAndDataSurvivesAReopen) {
  const std::string path = TempFile();
  {
    auto db = OpenSqlite(path);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Setup().ok());
    ASSERT_TRUE(db->Setup().ok());
    ASSERT_EQ(*db->Put("t", "k", "x", 0), 1);
    ASSERT_EQ(*db->Put("t", "k", "y", 1), 2);
  }
  auto db = OpenSqlite(path);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Setup().ok());
  auto got = db->Get("t", "k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->data, "y");
  EXPECT_EQ((*got)->version, 2);
}

TEST(SqliteDatabaseTest, TwoConnectionsToOneFileShareOptimisticConcurrency) {
  const std::string path = TempFile();
  auto a = OpenSqlite(path);
  auto b = OpenSqlite(path);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Setup().ok());
  ASSERT_TRUE(b->Setup().ok());
  constexpr int kThreads = 4;
  std::atomic<int> winners{0}, conflicts{0}, others{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Database& db = t % 2 == 0 ? *a : *b;
      Status status = db.Put("t", "k", "by " + std::to_string(t), 0).status();
      if (status.ok()) {
        ++winners;
      } else if (status.code() == StatusCode::kConflict) {
        ++conflicts;
      } else {
        ++others;
        ADD_FAILURE() << status.ToString();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(conflicts, kThreads - 1);
  EXPECT_EQ(others, 0);
}

TEST(SqliteDatabaseTest, PoolStatsReportTheOneConnection) {
  auto db = OpenSqlite(":memory:");
  ASSERT_NE(db, nullptr);
  PoolStats stats = db->pool_stats();
  EXPECT_EQ(stats.size, 1);
  EXPECT_EQ(stats.checked_in, 1);
  EXPECT_EQ(stats.checked_out, 0);
  db->Close();
  stats = db->pool_stats();
  EXPECT_EQ(stats.checked_in, 0);
  EXPECT_TRUE(HasCode(db->Setup(), StatusCode::kUnavailable));
}

TEST(SqliteDatabaseTest, AnUnopenableFileIsUnavailable) {
  SqliteDatabaseOptions options;
  options.path = (TempDir() / "missing_dir" / "x.db").string();
  EXPECT_TRUE(HasCode(SqliteDatabase::Open(options).status(), StatusCode::kUnavailable));
  options.path = TempFile();
  options.records_table = "Robert'); DROP TABLE x;--";
  EXPECT_TRUE(HasCode(SqliteDatabase::Open(options).status(), StatusCode::kInvalidArgument));
}

// --- Provider registrations ---------------------------------------------------------

class SqlRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterSqlAdapters(registry_); }

  config::DatabaseConfig Database(std::string provider, std::string uri) {
    config::DatabaseConfig c;
    c.name = "default";
    c.provider = std::move(provider);
    c.database_uri = std::move(uri);
    return c;
  }

  AdapterRegistry registry_;
  RealClock clock_;
  AdapterEnv env_{&clock_};
};

TEST_F(SqlRegistryTest, ElasticsearchIsNotAvailableInThisBuild) {
  config::DatabaseConfig c = Database("elasticsearch", "http://127.0.0.1:9200");
  c.name = "search";
  auto db = registry_.CreateDatabase(c, env_);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db.status().message(),
            "databases.search: provider 'elasticsearch' is not available in this build");
}

TEST_F(SqlRegistryTest, SqliteFactoryOpensTheUriAndUsesExtraKeys) {
  config::DatabaseConfig c = Database("sqlite", "sqlite:///:memory:");
  config::SetPassThrough(c.extra, "records_table", std::string("my_records"));
  auto db = registry_.CreateDatabase(c, env_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->provider(), "sqlite");
  ASSERT_TRUE((*db)->Setup().ok());
  EXPECT_EQ(*(*db)->Put("t", "k", "x", std::nullopt), 1);

  c.database_uri = "sqlite:///" + TempFile();
  auto file = registry_.CreateDatabase(c, env_);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->Setup().ok());

  c.database_uri = "postgresql://x/y";
  EXPECT_TRUE(HasCode(registry_.CreateDatabase(c, env_).status(), StatusCode::kInvalidArgument));
  c.database_uri = "sqlite:///:memory:";
  config::SetPassThrough(c.extra, "records_table", int64_t{5});
  EXPECT_TRUE(HasCode(registry_.CreateDatabase(c, env_).status(), StatusCode::kInvalidArgument));
}

TEST_F(SqlRegistryTest, PostgresFactoryValidatesWithoutConnecting) {
  config::DatabaseConfig c = Database("postgresql", "postgresql://u@127.0.0.1:1/db");
  c.pool_recycle = -1;
  c.pool_timeout = 0.5;
  c.connect_timeout = 1.5;
  auto db = registry_.CreateDatabase(c, env_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->provider(), "postgresql");
  const PoolStats stats = (*db)->pool_stats();
  EXPECT_EQ(stats.size, 5);
  EXPECT_EQ(stats.checked_in + stats.checked_out, 0);  // lazy

  c.database_uri = "";
  EXPECT_TRUE(HasCode(registry_.CreateDatabase(c, env_).status(), StatusCode::kInvalidArgument));
  c.database_uri = "postgresql://u@h/db";
  config::SetPassThrough(c.extra, "records_table", std::string("Bad Name"));
  EXPECT_TRUE(HasCode(registry_.CreateDatabase(c, env_).status(), StatusCode::kInvalidArgument));
}

TEST_F(SqlRegistryTest, MessageDbFactorySizesThePoolFromMaxConnections) {
  config::EventStoreConfig c;
  c.provider = "message_db";
  c.database_uri = "postgresql://message_store@127.0.0.1:1/message_store";
  c.max_connections = 3;
  config::SetPassThrough(c.extra, "pool_timeout", int64_t{2});
  config::SetPassThrough(c.extra, "pool_pre_ping", false);
  auto store = registry_.CreateEventStore(c, env_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->provider(), "message_db");
  auto* message_db = dynamic_cast<MessageDbEventStore*>(store->get());
  ASSERT_NE(message_db, nullptr);
  EXPECT_EQ(message_db->pool().options().pool_size, 3);
  EXPECT_EQ(message_db->pool().options().max_overflow, 0);
  EXPECT_FALSE(message_db->pool().options().pre_ping);
  EXPECT_EQ(message_db->pool().options().timeout, Seconds(2));
  EXPECT_NE(message_db->pool().options().conninfo.find(
                "options=-c%20search_path%3Dmessage_store%2Cpublic"),
            std::string::npos)
      << message_db->pool().options().conninfo;
  // Unreachable: kUnavailable, not a crash or a hang.
  EXPECT_TRUE(HasCode((*store)->Ping(), StatusCode::kUnavailable));

  config::SetPassThrough(c.extra, "pool_timeout", std::string("soon"));
  EXPECT_TRUE(HasCode(registry_.CreateEventStore(c, env_).status(), StatusCode::kInvalidArgument));
  c.extra.erase("pool_timeout");
  c.database_uri.clear();
  EXPECT_TRUE(HasCode(registry_.CreateEventStore(c, env_).status(), StatusCode::kInvalidArgument));
}

// --- conninfo -------------------------------------------------------------------------

TEST(PgConninfoTest, AddsParametersToAUriWithOrWithoutAQuery) {
  PgConnParams params;
  params.server_settings = {{"search_path", "message_store,public"}};
  params.connect_timeout = Millis(1500);
  EXPECT_EQ(*BuildPgConninfo("postgresql://u@h:5433/db", params),
            "postgresql://u@h:5433/db?connect_timeout=2&"
            "options=-c%20search_path%3Dmessage_store%2Cpublic");
  EXPECT_EQ(*BuildPgConninfo("postgres://u@h/db?sslmode=disable", params),
            "postgres://u@h/db?sslmode=disable&connect_timeout=2&"
            "options=-c%20search_path%3Dmessage_store%2Cpublic");
  // An existing options keeps its settings; connect_timeout is replaced.
  EXPECT_EQ(
      *BuildPgConninfo("postgresql:///db?options=-c%20work_mem%3D4MB&connect_timeout=9", params),
      "postgresql:///db?options=-c%20work_mem%3D4MB%20-c%20search_path%3Dmessage_store%2C"
      "public&connect_timeout=2");
}

TEST(PgConninfoTest, AddsParametersToAKeyValueString) {
  PgConnParams params;
  params.server_settings = {{"search_path", "a b"}};
  params.params = {{"application_name", "it's"}};
  EXPECT_EQ(*BuildPgConninfo("host=127.0.0.1 port = 5433  dbname='my db'", params),
            "host='127.0.0.1' port='5433' dbname='my db' options='-c search_path=a\\\\ b' "
            "application_name='it\\'s'");
}

TEST(PgConninfoTest, RejectsWhatLibpqWouldMisread) {
  const PgConnParams none;
  for (const char* bad : {"", "postgresql://h/db#frag", "postgresql://h/db?novalue",
                          "postgresql://h/db?x=%zz", "host", "host='open"}) {
    EXPECT_TRUE(HasCode(BuildPgConninfo(bad, none).status(), StatusCode::kInvalidArgument)) << bad;
  }
}

// --- pqxx error mapping ---------------------------------------------------------------

template <typename E>
PgFailure ClassifyThrown(E e) {
  try {
    throw e;
  } catch (...) {
    return ClassifyPgError(std::current_exception(), "op");
  }
}

TEST(PgErrorTest, MapsExceptionsAndSqlStates) {
  struct Case {
    PgFailure got;
    StatusCode code;
    bool lost;
  };
  const std::vector<Case> cases = {
      {ClassifyThrown(pqxx::broken_connection("server closed the connection")),
       StatusCode::kUnavailable, true},
      {ClassifyThrown(pqxx::sql_error("ERROR:  timeout", "q", "")), StatusCode::kUnavailable, true},
      {ClassifyThrown(pqxx::sql_error("FATAL:  terminating connection due to administrator "
                                      "command",
                                      "q", "57P01")),
       StatusCode::kUnavailable, true},
      {ClassifyThrown(pqxx::sql_error("ERROR:  canceling statement", "q", "57014")),
       StatusCode::kTimeout, false},
      {ClassifyThrown(pqxx::unique_violation("ERROR:  duplicate key", "q", "23505")),
       StatusCode::kConflict, false},
      {ClassifyThrown(pqxx::plpgsql_raise(
           "ERROR:  Wrong expected version: 1 (Stream: a-1, Stream Version: 2)\nCONTEXT: x", "q",
           "P0001")),
       StatusCode::kConflict, false},
      {ClassifyThrown(pqxx::plpgsql_raise("ERROR:  Must be a category: a-1", "q", "P0001")),
       StatusCode::kInvalidArgument, false},
      {ClassifyThrown(
           pqxx::data_exception("ERROR:  invalid input syntax for type uuid", "q", "22P02")),
       StatusCode::kInvalidArgument, false},
      {ClassifyThrown(pqxx::sql_error("ERROR:  deadlock detected", "q", "40P01")),
       StatusCode::kUnavailable, false},
      {ClassifyThrown(
           pqxx::sql_error("ERROR:  function acquire_lock does not exist", "q", "42883")),
       StatusCode::kInternal, false},
      {ClassifyThrown(pqxx::in_doubt_error("lost during commit")), StatusCode::kUnavailable, true},
      {ClassifyThrown(pqxx::deadlock_detected("deadlock")), StatusCode::kUnavailable, false},
      {ClassifyThrown(pqxx::usage_error("two transactions")), StatusCode::kInternal, false},
      {ClassifyThrown(std::runtime_error("other")), StatusCode::kInternal, false},
      {ClassifyThrown(42), StatusCode::kInternal, false},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(cases[i].got.status.code(), cases[i].code)
        << i << ": " << cases[i].got.status.ToString();
    EXPECT_EQ(cases[i].got.connection_lost, cases[i].lost) << i;
  }
  // The message keeps the server's first line, without severity or CONTEXT.
  EXPECT_EQ(cases[5].got.status.message(),
            "op: Wrong expected version: 1 (Stream: a-1, Stream Version: 2) (SQLSTATE P0001)");
}

// --- Timestamps -----------------------------------------------------------------------

TEST(MessageDbTimeTest, ParsesIsoTimestampsAsUtc) {
  EXPECT_EQ(*ParseUtcTimestamp("1970-01-01 00:00:00"), FromMicros(0));
  EXPECT_EQ(*ParseUtcTimestamp("2026-01-01 00:00:00"), FromMillis(1767225600000));
  EXPECT_EQ(*ParseUtcTimestamp("2026-01-01 00:00:01.5"), FromMillis(1767225601500));
  EXPECT_EQ(*ParseUtcTimestamp("2024-02-29 23:59:59.123456"), FromMicros(1709251199123456));
  for (const char* bad : {"", "2024-02-30 00:00:00", "2024-01-01T00:00:00", "2024-01-01 00:00:00.",
                          "2024-01-01 00:00:00.1234567", "2024-01-01 00:00:00+00"}) {
    EXPECT_TRUE(HasCode(ParseUtcTimestamp(bad).status(), StatusCode::kInternal)) << bad;
  }
}

}  // namespace
}  // namespace protean
