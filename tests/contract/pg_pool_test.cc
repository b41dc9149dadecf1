// The PgPool behind PostgresDatabase and MessageDbEventStore, against a real
// PostgreSQL (DATABASE_URL; every case skips with a reason when it is unset):
// pool_size / max_overflow / pool_timeout, overflow closed on return,
// pool_stats, pool_recycle (with a SimClock), pre-ping and killed backends
// (pg_terminate_backend from another connection), an unreachable server,
// concurrent Setup, Close. Part of sql_contract_test.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "adapters/real/pg_pool.h"
#include "adapters/real/postgres_database.h"
#include "core/clock.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"
#include "core/status.h"
#include "tests/contract/sql_test_util.h"

namespace protean {
namespace {

using sql_test::ElapsedMillis;
using sql_test::Env;
using sql_test::HasCode;
using sql_test::SkipUnless;

class PostgresPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = SkipUnless("DATABASE_URL")) GTEST_SKIP() << *reason;
    uri_ = *Env("DATABASE_URL");
    admin_ = std::make_unique<sql_test::Admin>(uri_);
  }

  // A database whose connections carry a fresh application_name.
  std::unique_ptr<PostgresDatabase> Make(PostgresDatabaseOptions options, const Clock& clock) {
    app_ = "protean_pool_" + sql_test::ProcessToken() + "_" + std::to_string(++serial_);
    options.database_uri = sql_test::WithApplicationName(uri_, app_);
    auto db = PostgresDatabase::Create(std::move(options), clock);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return nullptr;
    EXPECT_TRUE((*db)->Setup().ok());
    return std::move(*db);
  }

  // The backend pid of the connection the pool hands out next.
  static int NextPid(PgPool& pool) {
    auto lease = pool.Acquire();
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    return lease.ok() ? lease->conn().backendpid() : -1;
  }

  std::string uri_;
  std::string app_;
  int serial_ = 0;
  std::unique_ptr<sql_test::Admin> admin_;
  RealClock clock_;
};

TEST_F(PostgresPoolTest, CheckoutsUpToSizePlusOverflowThenTimeout) {
  PostgresDatabaseOptions options;
  options.pool_size = 2;
  options.max_overflow = 2;
  options.pool_timeout = Millis(300);
  auto db = Make(options, clock_);
  ASSERT_NE(db, nullptr);
  PgPool& pool = db->pool();

  std::vector<PgPool::Lease> leases;
  for (int i = 0; i < 4; ++i) {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok()) << i << ": " << lease.status().ToString();
    leases.push_back(std::move(*lease));
  }
  PoolStats stats = db->pool_stats();
  EXPECT_EQ(stats.size, 2);
  EXPECT_EQ(stats.checked_out, 4);
  EXPECT_EQ(stats.overflow, 2);
  EXPECT_EQ(stats.checked_in, 0);
  EXPECT_TRUE(admin_->WaitForConnections(app_, 4));

  // One more waits pool_timeout, then fails; so does a call needing one.
  auto start = std::chrono::steady_clock::now();
  auto extra = pool.Acquire();
  EXPECT_TRUE(HasCode(extra.status(), StatusCode::kTimeout));
  EXPECT_GE(ElapsedMillis(start), 290);
  EXPECT_LT(ElapsedMillis(start), 3000);
  start = std::chrono::steady_clock::now();
  EXPECT_TRUE(HasCode(db->Get("t", "k").status(), StatusCode::kTimeout));
  EXPECT_GE(ElapsedMillis(start), 290);
  EXPECT_EQ(pool.counters().timeouts, 2);

  // A waiter gets the first connection returned within its timeout.
  std::thread waiter([&] {
    auto got = db->Get("t", "k");
    EXPECT_TRUE(got.ok()) << got.status().ToString();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  leases.pop_back();
  waiter.join();

  // Overflow connections close on return; pool_size stay idle.
  leases.clear();
  stats = db->pool_stats();
  EXPECT_EQ(stats.checked_out, 0);
  EXPECT_EQ(stats.overflow, 0);
  EXPECT_EQ(stats.checked_in, 2);
  EXPECT_EQ(pool.counters().opened, 4);
  EXPECT_EQ(pool.counters().closed, 2);
  EXPECT_TRUE(admin_->WaitForConnections(app_, 2));

  db->Close();
  EXPECT_EQ(db->pool_stats().checked_in, 0);
  EXPECT_TRUE(admin_->WaitForConnections(app_, 0));
}

TEST_F(PostgresPoolTest, ConcurrentCallsNeverExceedSizePlusOverflow) {
  PostgresDatabaseOptions options;
  options.pool_size = 2;
  options.max_overflow = 1;
  options.pool_timeout = Seconds(10);
  auto db = Make(options, clock_);
  ASSERT_NE(db, nullptr);
  const std::string table = "pool_" + sql_test::ProcessToken();
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (!db->Put(table, "k" + std::to_string(t), "x", std::nullopt).ok()) {
          ++failures[static_cast<size_t>(t)];
        }
        const PoolStats stats = db->pool_stats();
        if (stats.checked_out + stats.checked_in > 3) ++failures[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
  EXPECT_LE(db->pool().counters().opened, 3 + db->pool().counters().closed);
  EXPECT_EQ(db->pool_stats().checked_in, 2);
  auto count = db->Count(table);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, kThreads);
  for (int t = 0; t < kThreads; ++t) (void)db->Remove(table, "k" + std::to_string(t));
}

TEST_F(PostgresPoolTest, RecycleReplacesConnectionsOlderThanPoolRecycle) {
  SimClock clock;
  PostgresDatabaseOptions options;
  options.pool_size = 1;
  options.max_overflow = 0;
  options.pool_recycle = Seconds(60);
  auto db = Make(options, clock);
  ASSERT_NE(db, nullptr);
  const int first = NextPid(db->pool());
  clock.Advance(Seconds(59));
  EXPECT_EQ(NextPid(db->pool()), first);
  clock.Advance(Seconds(1));
  const int second = NextPid(db->pool());
  EXPECT_NE(second, first);
  EXPECT_EQ(db->pool().counters().recycled, 1);
  EXPECT_TRUE(db->Ping().ok());
  EXPECT_TRUE(admin_->WaitForConnections(app_, 1));  // the old one was closed

  // pool_recycle -1 (nullopt): never.
  options.pool_recycle = std::nullopt;
  auto never = Make(options, clock);
  ASSERT_NE(never, nullptr);
  const int pid = NextPid(never->pool());
  clock.Advance(Seconds(1'000'000));
  EXPECT_EQ(NextPid(never->pool()), pid);
  EXPECT_EQ(never->pool().counters().recycled, 0);
}

TEST_F(PostgresPoolTest, PrePingReplacesAKilledBackendBeforeUse) {
  PostgresDatabaseOptions options;
  options.pool_size = 1;
  options.max_overflow = 0;
  options.pool_pre_ping = true;
  auto db = Make(options, clock_);
  ASSERT_NE(db, nullptr);
  const std::string table = "kill_" + sql_test::ProcessToken();
  ASSERT_TRUE(db->Put(table, "k", "before", std::nullopt).ok());
  const int dead = NextPid(db->pool());
  ASSERT_TRUE(admin_->Kill(dead));

  // Even a write succeeds: the ping found the dead link before the call.
  auto put = db->Put(table, "k", "after", std::nullopt);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(*put, 2);
  EXPECT_EQ(db->pool().counters().ping_failures, 1);
  const int replacement = NextPid(db->pool());
  EXPECT_NE(replacement, dead);
  EXPECT_GT(replacement, 0);
  EXPECT_EQ(db->pool_stats().checked_in, 1);
  ASSERT_TRUE(db->Remove(table, "k").ok());
}

TEST_F(PostgresPoolTest, AKilledBackendMidCallIsDroppedAndReadsAreRetried) {
  PostgresDatabaseOptions options;
  options.pool_size = 1;
  options.max_overflow = 0;
  options.pool_pre_ping = false;  // the call itself meets the dead link
  auto db = Make(options, clock_);
  ASSERT_NE(db, nullptr);
  const std::string table = "kill_" + sql_test::ProcessToken();
  ASSERT_TRUE(db->Put(table, "k", "v", std::nullopt).ok());

  // A read is retried once on a fresh connection.
  int dead = NextPid(db->pool());
  ASSERT_TRUE(admin_->Kill(dead));
  auto got = db->Get(table, "k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->data, "v");
  EXPECT_EQ(db->pool().counters().lost, 1);
  int replacement = NextPid(db->pool());
  EXPECT_NE(replacement, dead);

  // A non-idempotent write is not: kUnavailable, and the dead connection is
  // gone, so the next call works.
  dead = replacement;
  ASSERT_TRUE(admin_->Kill(dead));
  auto put = db->Put(table, "k", "w", std::nullopt);
  EXPECT_TRUE(HasCode(put.status(), StatusCode::kUnavailable));
  EXPECT_EQ(db->pool().counters().lost, 2);
  EXPECT_EQ(db->pool_stats().checked_in, 0);
  auto again = db->Put(table, "k", "w", std::nullopt);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, 2);  // the failed Put changed nothing
  EXPECT_NE(NextPid(db->pool()), dead);
  ASSERT_TRUE(db->Remove(table, "k").ok());
}

TEST_F(PostgresPoolTest, AnUnreachableServerIsUnavailable) {
  PostgresDatabaseOptions options;
  options.database_uri = "postgresql://postgres@127.0.0.1:1/none";
  options.connect_timeout = Seconds(2);
  auto db = PostgresDatabase::Create(std::move(options), clock_);
  ASSERT_TRUE(db.ok());
  EXPECT_TRUE(HasCode((*db)->Ping(), StatusCode::kUnavailable));
  EXPECT_TRUE(HasCode((*db)->Get("t", "k").status(), StatusCode::kUnavailable));
  const PoolStats stats = (*db)->pool_stats();
  EXPECT_EQ(stats.checked_out + stats.checked_in, 0);  // failed opens hold no place
}

TEST_F(PostgresPoolTest, SetupIsIdempotentAndSafeConcurrently) {
  const std::string table = "protean_records_" + sql_test::ProcessToken();
  constexpr int kDatabases = 4;
  std::vector<std::unique_ptr<PostgresDatabase>> dbs;
  for (int i = 0; i < kDatabases; ++i) {
    PostgresDatabaseOptions options;
    options.records_table = table;
    options.database_uri = uri_;
    auto db = PostgresDatabase::Create(std::move(options), clock_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    dbs.push_back(std::move(*db));
  }
  std::vector<Status> outcomes(kDatabases);
  std::vector<std::thread> threads;
  for (int i = 0; i < kDatabases; ++i) {
    threads.emplace_back(
        [&, i] { outcomes[static_cast<size_t>(i)] = dbs[static_cast<size_t>(i)]->Setup(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Status& status : outcomes) EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(dbs[0]->Setup().ok());
  EXPECT_EQ(dbs[0]->Put("t", "k", "x", 0).ok(), true);
  EXPECT_TRUE(dbs[1]->Setup().ok());  // keeps the data
  auto got = dbs[1]->Get("t", "k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->version, 1);
  EXPECT_EQ(admin_->Scalar("SELECT count(*) FROM pg_tables WHERE tablename = '" + table + "'"), 1);
  for (auto& db : dbs) db->Close();
  pqxx::nontransaction tx(admin_->conn());
  tx.exec0("DROP TABLE " + table);
}

TEST_F(PostgresPoolTest, CloseFailsEveryLaterCallAndIsIdempotent) {
  auto db = Make(PostgresDatabaseOptions{}, clock_);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Ping().ok());
  db->Close();
  db->Close();
  EXPECT_TRUE(HasCode(db->Setup(), StatusCode::kUnavailable));
  EXPECT_TRUE(HasCode(db->pool().Acquire().status(), StatusCode::kUnavailable));
  const PoolStats stats = db->pool_stats();
  EXPECT_EQ(stats.checked_in + stats.checked_out, 0);
  EXPECT_TRUE(admin_->WaitForConnections(app_, 0));
}

}  // namespace
}  // namespace protean
