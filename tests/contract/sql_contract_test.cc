// The storage contracts instantiated for the real PostgreSQL backends —
// PostgresDatabase (DATABASE_URL) and MessageDbEventStore (MESSAGE_DB_URL) —
// plus what the suites cannot cover: the connection pool (size, overflow,
// timeout, recycle, pre-ping, killed backends), search_path handling,
// consumer-group hashing against the server, Setup concurrency, and a rough
// read-throughput comparison. Every case skips with a reason when its
// variable is unset. The pool tests are in pg_pool_test.cc (same binary);
// SQLite and the offline tests in sql_sqlite_contract_test.cc (target
// sqlite_contract_test, no server).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "adapters/real/message_db_event_store.h"
#include "adapters/real/pg_conninfo.h"
#include "adapters/real/pg_pool.h"
#include "adapters/real/postgres_database.h"
#include "core/clock.h"
#include "core/event_store.h"
#include "core/runtime/prng.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"
#include "core/status.h"
#include "tests/contract/database_contract.h"
#include "tests/contract/event_store_contract.h"
#include "tests/contract/sql_test_util.h"

#if defined(__SANITIZE_ADDRESS__)
// libpqxx 6.4.5 leaks one PGresult (2264 bytes) each time a query meets a
// backend killed by pg_terminate_backend (reproduced with a bare
// pqxx::connection: "Could not obtain client encoding: not connected."), which
// the killed-backend tests do on purpose. Only that allocation site is
// suppressed; a leaked connection (PQconnectdb) is still reported.
extern "C" const char* __lsan_default_suppressions() { return "leak:PQmakeEmptyPGresult\n"; }
#endif

namespace protean {
namespace {

using sql_test::Env;
using sql_test::Rate;
using sql_test::SkipUnless;

DatabaseBackend PostgresDatabaseBackend() {
  return {.name = "postgres",
          .make = [](Clock& clock) -> std::unique_ptr<Database> {
            PostgresDatabaseOptions options;
            options.database_uri = Env("DATABASE_URL").value_or("");
            options.connect_timeout = Seconds(5);
            auto db = PostgresDatabase::Create(std::move(options), clock);
            EXPECT_TRUE(db.ok()) << db.status().ToString();
            return db.ok() ? std::move(*db) : nullptr;
          },
          .simulated_time = false,
          .skip_reason = [] { return SkipUnless("DATABASE_URL"); }};
}

EventStoreBackend MessageDbBackend() {
  return {.name = "message_db",
          .make = [](Clock& clock) -> std::unique_ptr<EventStore> {
            MessageDbOptions options;
            options.database_uri = Env("MESSAGE_DB_URL").value_or("");
            options.connect_timeout = Seconds(5);
            auto store = MessageDbEventStore::Create(std::move(options), clock);
            EXPECT_TRUE(store.ok()) << store.status().ToString();
            return store.ok() ? std::move(*store) : nullptr;
          },
          .simulated_time = false,
          .skip_reason = [] { return SkipUnless("MESSAGE_DB_URL"); }};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Postgres, DatabaseContractTest,
                         ::testing::Values(PostgresDatabaseBackend()), contract::BackendName());
INSTANTIATE_TEST_SUITE_P(MessageDb, EventStoreContractTest, ::testing::Values(MessageDbBackend()),
                         contract::BackendName());

namespace {

// --- Message DB beyond the contract -------------------------------------------------

class MessageDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = SkipUnless("MESSAGE_DB_URL")) GTEST_SKIP() << *reason;
    uri_ = *Env("MESSAGE_DB_URL");
  }

  std::unique_ptr<MessageDbEventStore> Make(MessageDbOptions options) {
    if (options.database_uri.empty()) options.database_uri = uri_;
    auto store = MessageDbEventStore::Create(std::move(options), clock_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string Category(const std::string& what) {
    return "sql" + what + sql_test::ProcessToken() + "n" + std::to_string(++serial_);
  }

  NewEventMessage Message(const std::string& stream) {
    return NewEventMessage{prng_.Uuid(), stream, "Thing", R"({"n": 1})", ""};
  }

  std::string uri_;
  int serial_ = 0;
  Prng prng_{contract::RandomSeed()};
  RealClock clock_;
};

TEST_F(MessageDbTest, ConsumerGroupMemberMatchesTheServersHash) {
  auto store = Make({});
  ASSERT_NE(store, nullptr);
  std::vector<std::string> streams;
  for (int i = 0; i < 200; ++i) streams.push_back("account-" + std::to_string(i));
  for (const char* s : {"account-4+y", "account-4+z", "account-abc-def", "a:command-x+1",
                        "account-\xc3\xa9t\xc3\xa9",
                        "account-"
                        "00000000-0000-4000-8000-000000000000",
                        "x-"}) {
    streams.push_back(s);
  }
  auto lease = store->pool().Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  pqxx::nontransaction tx(lease->conn());
  int compared = 0;
  for (const std::string& stream : streams) {
    const pqxx::row hash = tx.exec_params1(
        "SELECT hash_64(cardinal_id($1::varchar)), cardinal_id($1::varchar) IS NULL", stream);
    if (hash[1].as<bool>()) continue;  // no id: in no member's share
    EXPECT_EQ(hash[0].as<int64_t>(), Hash64(CardinalId(stream))) << stream;
    for (int64_t size : {2, 3, 5, 7, 32767}) {
      // The expression get_category_messages filters with.
      const int64_t server =
          tx.exec_params1("SELECT MOD(@hash_64(cardinal_id($1::varchar)), $2)", stream, size)[0]
              .as<int64_t>();
      EXPECT_EQ(server, ConsumerGroupMember(stream, size)) << stream << " of " << size;
      ++compared;
    }
  }
  EXPECT_GE(compared, 200 * 5);
}

TEST_F(MessageDbTest, SearchPathIsAddedWithOrWithoutAQueryString) {
  // As a superuser (not the message_store role, whose "$user" schema would
  // hide the problem), the functions only work with search_path set.
  std::string uri = uri_;
  const std::string role = "postgresql://message_store@";
  if (uri.rfind(role, 0) == 0) uri = "postgresql://postgres@" + uri.substr(role.size());
  for (const std::string& variant : {uri, uri + "?application_name=protean_sp",
                                     uri + "?options=-c%20statement_timeout%3D5000"}) {
    MessageDbOptions options;
    options.database_uri = variant;
    auto store = Make(options);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Ping().ok()) << variant << ": " << store->Ping().ToString();
    const std::string stream = Category("sp") + "-1";
    auto written = store->Write(Message(stream), -1);
    ASSERT_TRUE(written.ok()) << variant << ": " << written.status().ToString();
    auto lease = store->pool().Acquire();
    ASSERT_TRUE(lease.ok());
    pqxx::nontransaction tx(lease->conn());
    EXPECT_EQ(tx.exec1("SHOW search_path")[0].as<std::string>(), "message_store,public");
    if (variant.find("statement_timeout") != std::string::npos) {
      EXPECT_EQ(tx.exec1("SHOW statement_timeout")[0].as<std::string>(), "5s");  // kept
    }
  }
}

TEST_F(MessageDbTest, AKilledBackendIsReplacedAndReadsAndWritesRetried) {
  MessageDbOptions options;
  options.max_connections = 1;
  options.pool_pre_ping = false;
  auto store = Make(options);
  ASSERT_NE(store, nullptr);
  sql_test::Admin admin(uri_);
  const std::string stream = Category("kill") + "-1";
  ASSERT_TRUE(store->Write(Message(stream), -1).ok());

  auto pid = [&] {
    auto lease = store->pool().Acquire();
    EXPECT_TRUE(lease.ok());
    return lease.ok() ? lease->conn().backendpid() : -1;
  };
  int dead = pid();
  ASSERT_TRUE(admin.Kill(dead));
  auto read = store->ReadStream(stream, 0, 10);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->size(), 1u);
  EXPECT_NE(pid(), dead);

  // A write is retried: its id makes that safe.
  dead = pid();
  ASSERT_TRUE(admin.Kill(dead));
  auto written = store->Write(Message(stream), 0);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, 1);
  EXPECT_EQ(store->pool().counters().lost, 2);
  EXPECT_NE(pid(), dead);
}

TEST_F(MessageDbTest, ARetriedWriteWhoseIdCommittedReturnsItsPosition) {
  // The lost attempt committed: simulated by writing the message elsewhere
  // first, then killing the pooled connection so the store's first attempt
  // fails on the dead link and its retry finds the id.
  MessageDbOptions options;
  options.max_connections = 1;
  options.pool_pre_ping = false;
  auto store = Make(options);
  ASSERT_NE(store, nullptr);
  auto other = Make({});
  ASSERT_NE(other, nullptr);
  sql_test::Admin admin(uri_);
  const std::string stream = Category("retry") + "-1";
  const NewEventMessage message = Message(stream);
  ASSERT_TRUE(other->Write(Message(stream), -1).ok());
  ASSERT_TRUE(other->Write(message, 0).ok());

  ASSERT_TRUE(store->Ping().ok());
  int dead = -1;
  {
    auto lease = store->pool().Acquire();
    ASSERT_TRUE(lease.ok());
    dead = lease->conn().backendpid();
  }
  ASSERT_TRUE(admin.Kill(dead));
  auto written = store->Write(message, 0);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, 1);
  auto all = store->ReadStream(stream, 0, -1);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  // Without a lost connection the same write is a plain duplicate.
  EXPECT_TRUE(
      contract::HasCode(store->Write(message, std::nullopt).status(), StatusCode::kConflict));
}

TEST_F(MessageDbTest, MaxConnectionsBoundsThePool) {
  MessageDbOptions options;
  options.max_connections = 2;
  options.pool_timeout = Millis(200);
  auto store = Make(options);
  ASSERT_NE(store, nullptr);
  auto a = store->pool().Acquire();
  auto b = store->pool().Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(contract::HasCode(store->StreamVersion("x-1").status(), StatusCode::kTimeout));
  const PoolStats stats = store->pool().stats();
  EXPECT_EQ(stats.size, 2);
  EXPECT_EQ(stats.checked_out, 2);
  EXPECT_EQ(stats.overflow, 0);
}

TEST_F(MessageDbTest, TimeIsTheServersUtcNow) {
  auto store = Make({});
  ASSERT_NE(store, nullptr);
  const std::string stream = Category("time") + "-1";
  ASSERT_TRUE(store->Write(Message(stream), -1).ok());
  auto lease = store->pool().Acquire();
  ASSERT_TRUE(lease.ok());
  pqxx::nontransaction tx(lease->conn());
  const int64_t server_micros =
      tx.exec1("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")[0].as<int64_t>();
  auto read = store->ReadStream(stream, 0, 1);
  ASSERT_TRUE(read.ok() && read->size() == 1);
  EXPECT_LT(std::chrono::abs(read->front().time - FromMicros(server_micros)), Seconds(5));
}

// Item 6 of issue #5: a rough read-throughput figure for the lead's benchmark.
// Reads one category of PROTEAN_SQL_BENCH_MESSAGES (default 5000) messages through
// MessageDbEventStore::ReadCategory and through plain get_category_messages calls on a bare
// connection (rows only touched, not converted), in pages of 100 and 1000, best of 3.
TEST_F(MessageDbTest, CategoryReadThroughputReport) {
  const int messages = static_cast<int>(std::clamp<long>(
      std::strtol(Env("PROTEAN_SQL_BENCH_MESSAGES").value_or("5000").c_str(), nullptr, 10), 1,
      1'000'000));
  auto store = Make({});
  MessageDbOptions no_ping_options;
  no_ping_options.pool_pre_ping = false;
  auto store_no_ping = Make(no_ping_options);
  ASSERT_TRUE(store && store_no_ping);
  const std::string category = Category("bench");
  {
    auto lease = store->pool().Acquire();
    ASSERT_TRUE(lease.ok());
    pqxx::nontransaction tx(lease->conn());
    tx.exec_params(
        "SELECT write_message(gen_random_uuid()::varchar, $1 || '-' || (i % 20), 'Thing',"
        " jsonb_build_object('i', i, 'payload', repeat('x', 100)), NULL) "
        "FROM generate_series(1, $2) AS i",
        category, messages);
  }
  pqxx::connection plain(
      *BuildPgConninfo(uri_, PgConnParams{{}, {{"search_path", "message_store,public"}}, {}}));
  plain.prepare("read", "SELECT * FROM get_category_messages($1::varchar, $2::bigint, $3::bigint)");

  // Each reader pages through the whole category and returns how many it saw.
  const auto through_store = [&](EventStore& es, int64_t batch) -> int64_t {
    int64_t seen = 0;
    CategoryRead request;
    request.batch_size = batch;
    for (int page = 0; page < messages; ++page) {  // bounded: one message per page at worst
      auto read = es.ReadCategory(category, request);
      EXPECT_TRUE(read.ok()) << read.status().ToString();
      if (!read.ok() || read->empty()) break;
      seen += static_cast<int64_t>(read->size());
      request.position = read->back().global_position + 1;
    }
    return seen;
  };
  const auto through_function = [&](int64_t batch) -> int64_t {
    int64_t seen = 0;
    int64_t position = 1;
    for (int page = 0; page < messages; ++page) {
      pqxx::nontransaction tx(plain);
      const pqxx::result r = tx.exec_prepared("read", category, position, batch);
      if (r.empty()) break;
      seen += static_cast<int64_t>(r.size());
      position = r[r.size() - 1][4].as<int64_t>() + 1;
    }
    return seen;
  };
  const auto best_of_3 = [&](const auto& read) {
    double best = 0;
    for (int round = 0; round < 3; ++round) {
      const auto start = std::chrono::steady_clock::now();
      const int64_t seen = read();
      EXPECT_EQ(seen, messages);
      best = std::max(best, Rate(seen, start));
    }
    return best;
  };

  for (int64_t batch : {100, 1000}) {
    const double with_ping = best_of_3([&] { return through_store(*store, batch); });
    const double no_ping = best_of_3([&] { return through_store(*store_no_ping, batch); });
    const double raw = best_of_3([&] { return through_function(batch); });
    std::printf(
        "[ throughput ] category read of %d messages, batch %lld: MessageDbEventStore %.0f msg/s "
        "(pool_pre_ping off: %.0f), plain get_category_messages %.0f msg/s\n",
        messages, static_cast<long long>(batch), with_ping, no_ping, raw);
    const std::string suffix = "_msgs_per_s_batch_" + std::to_string(batch);
    RecordProperty("store" + suffix, static_cast<int>(with_ping));
    RecordProperty("store_no_ping" + suffix, static_cast<int>(no_ping));
    RecordProperty("plain" + suffix, static_cast<int>(raw));
  }
}

}  // namespace
}  // namespace protean
