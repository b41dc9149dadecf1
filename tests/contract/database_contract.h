#pragma once
// The Database contract (core/database.h): versioned records by (table, key).
// Every implementation is instantiated against the same typed suite:
//
//   struct MyBackend {
//     // A fresh database; `clock` outlives it (a SimClock when kSimulatedTime,
//     // else a RealClock). The fixture calls Setup() itself.
//     static std::unique_ptr<Database> Make(Clock& clock);
//     // A non-empty reason skips every case (e.g. "PROTEAN_POSTGRES_URL not set").
//     static std::optional<std::string> SkipReason();
//     static constexpr bool kSimulatedTime = true;
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(Mine, DatabaseContractTest, ::testing::Types<MyBackend>);
//
// Cases may share one real server with other runs: each uses tables unique to
// the process and the case, named `ct_<token>_<n>` ([a-z0-9_], short enough
// for any SQL identifier). List order is byte order (COLLATE "C" in
// PostgreSQL, BINARY in SQLite), whatever the server's locale.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/database.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {
namespace db_contract {

// Random per process, so concurrent runs against one server do not collide.
inline const std::string& ProcessToken() {
  static const std::string token = [] {
    std::random_device device;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(device()));
    return std::string(buf);
  }();
  return token;
}

// Numbers names across every case and instantiation in this process.
inline int NextSerial() {
  static std::atomic<int> serial{0};
  return ++serial;
}

inline ::testing::AssertionResult HasCode(const Status& status, StatusCode code) {
  if (status.code() == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << StatusCodeName(code) << ", got " << status.ToString();
}

inline std::vector<std::string> Keys(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const Record& r : records) out.push_back(r.key);
  return out;
}

}  // namespace db_contract

template <typename Backend>
class DatabaseContractTest : public ::testing::Test {
 protected:
  static constexpr bool kSimulated = Backend::kSimulatedTime;

  void SetUp() override {
    const std::optional<std::string> reason = Backend::SkipReason();
    if (reason.has_value() && !reason->empty()) GTEST_SKIP() << *reason;
    db_ = Backend::Make(clock());
    ASSERT_NE(db_, nullptr);
    const Status setup = db_->Setup();
    ASSERT_TRUE(setup.ok()) << setup.ToString();
  }

  // Removes what the case wrote (best effort: a closed database refuses),
  // so a shared server does not accumulate records.
  void TearDown() override {
    if (db_ == nullptr) return;
    for (const std::string& table : tables_) {
      for (int page = 0; page < 100; ++page) {  // bounded: cases write a few keys
        Result<std::vector<Record>> listed = db_->List(table, "", 100);
        if (!listed.ok() || listed->empty()) break;
        for (const Record& r : *listed) (void)db_->Remove(table, r.key);
      }
    }
    db_->Close();
  }

  Clock& clock() {
    if constexpr (kSimulated) {
      return sim_clock_;
    } else {
      return real_clock_;
    }
  }

  void AdvanceTime(Duration d) {
    if constexpr (kSimulated) {
      sim_clock_.Advance(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  Database& db() { return *db_; }

  // A table no other case or run uses.
  std::string NewTable() {
    tables_.push_back("ct_" + db_contract::ProcessToken() + "_" +
                      std::to_string(db_contract::NextSerial()));
    return tables_.back();
  }

  // Puts and expects success; returns the new version (-100 on failure).
  int64_t PutOk(const std::string& table, const std::string& key, const std::string& data,
                std::optional<int64_t> expected_version = std::nullopt) {
    Result<int64_t> put = db_->Put(table, key, data, expected_version);
    EXPECT_TRUE(put.ok()) << "Put " << table << "/" << key << ": " << put.status().ToString();
    return put.ok() ? *put : -100;
  }

  std::optional<Record> GetOk(const std::string& table, const std::string& key) {
    Result<std::optional<Record>> got = db_->Get(table, key);
    EXPECT_TRUE(got.ok()) << "Get " << table << "/" << key << ": " << got.status().ToString();
    return got.ok() ? *got : std::nullopt;
  }

  std::vector<Record> ListOk(const std::string& table, const std::string& after_key, size_t limit) {
    Result<std::vector<Record>> listed = db_->List(table, after_key, limit);
    EXPECT_TRUE(listed.ok()) << "List " << table << ": " << listed.status().ToString();
    return listed.ok() ? *listed : std::vector<Record>{};
  }

  int64_t CountOk(const std::string& table) {
    Result<int64_t> count = db_->Count(table);
    EXPECT_TRUE(count.ok()) << "Count " << table << ": " << count.status().ToString();
    return count.ok() ? *count : -100;
  }

 private:
  SimClock sim_clock_;
  RealClock real_clock_;
  std::unique_ptr<Database> db_;
  std::vector<std::string> tables_;  // created by NewTable, emptied by TearDown
};

TYPED_TEST_SUITE_P(DatabaseContractTest);

TYPED_TEST_P(DatabaseContractTest, PingProviderAndIdempotentSetup) {
  EXPECT_TRUE(this->db().Ping().ok());
  EXPECT_FALSE(this->db().provider().empty());
  const Status again = this->db().Setup();
  EXPECT_TRUE(again.ok()) << again.ToString();
  const PoolStats stats = this->db().pool_stats();
  EXPECT_GE(stats.size, 0);
  EXPECT_GE(stats.checked_out, 0);
  EXPECT_GE(stats.overflow, 0);
  EXPECT_GE(stats.checked_in, 0);
}

TYPED_TEST_P(DatabaseContractTest, GetOfAMissingKeyIsNullopt) {
  const std::string table = this->NewTable();
  EXPECT_EQ(this->GetOk(table, "missing"), std::nullopt);
  this->PutOk(table, "present", "x");
  EXPECT_EQ(this->GetOk(table, "missing"), std::nullopt);
}

TYPED_TEST_P(DatabaseContractTest, PutStartsAtVersionOneAndGetReturnsTheRecord) {
  const std::string table = this->NewTable();
  EXPECT_EQ(this->PutOk(table, "k", R"({"a": 1})"), 1);
  const std::optional<Record> got = this->GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->table, table);
  EXPECT_EQ(got->key, "k");
  EXPECT_EQ(got->data, R"({"a": 1})");
  EXPECT_EQ(got->version, 1);
}

TYPED_TEST_P(DatabaseContractTest, UnconditionalPutsIncrementTheVersion) {
  const std::string table = this->NewTable();
  EXPECT_EQ(this->PutOk(table, "k", "one"), 1);
  EXPECT_EQ(this->PutOk(table, "k", "two"), 2);
  EXPECT_EQ(this->PutOk(table, "k", "three"), 3);
  const std::optional<Record> got = this->GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "three");
  EXPECT_EQ(got->version, 3);
}

TYPED_TEST_P(DatabaseContractTest, ExpectedVersionZeroRequiresAMissingKey) {
  const std::string table = this->NewTable();
  EXPECT_EQ(this->PutOk(table, "k", "first", 0), 1);
  Result<int64_t> again = this->db().Put(table, "k", "second", 0);
  EXPECT_TRUE(db_contract::HasCode(again.status(), StatusCode::kConflict));
  const std::optional<Record> got = this->GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "first");
  EXPECT_EQ(got->version, 1);
}

TYPED_TEST_P(DatabaseContractTest, ExpectedVersionMustMatch) {
  const std::string table = this->NewTable();
  this->PutOk(table, "k", "v1");
  this->PutOk(table, "k", "v2");
  EXPECT_EQ(this->PutOk(table, "k", "v3", 2), 3);
  for (int64_t stale : {2, 1, 4, 7}) {
    Result<int64_t> put = this->db().Put(table, "k", "lost", stale);
    EXPECT_TRUE(db_contract::HasCode(put.status(), StatusCode::kConflict)) << stale;
  }
  const std::optional<Record> got = this->GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "v3");
  EXPECT_EQ(got->version, 3);
  // Expecting a version of a key that does not exist is a conflict too.
  Result<int64_t> missing = this->db().Put(table, "other", "x", 1);
  EXPECT_TRUE(db_contract::HasCode(missing.status(), StatusCode::kConflict));
  EXPECT_EQ(this->GetOk(table, "other"), std::nullopt);
}

TYPED_TEST_P(DatabaseContractTest, RemoveReportsWhetherTheKeyExisted) {
  const std::string table = this->NewTable();
  this->PutOk(table, "k", "x");
  this->PutOk(table, "k", "y");
  Result<bool> removed = this->db().Remove(table, "k");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_TRUE(*removed);
  EXPECT_EQ(this->GetOk(table, "k"), std::nullopt);
  Result<bool> again = this->db().Remove(table, "k");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(*again);
  // A removed key is new again: version 1, and expected_version 0 holds.
  EXPECT_EQ(this->PutOk(table, "k", "z", 0), 1);
  EXPECT_EQ(this->CountOk(table), 1);
}

TYPED_TEST_P(DatabaseContractTest, ListIsOrderedByKeyBytes) {
  const std::string table = this->NewTable();
  // Shuffled; byte order differs from most locales' order ("B" < "a").
  for (const char* key : {"b", "a0", "\xc3\xa9", "B", "aa", "c", "a", "A1"}) {
    this->PutOk(table, key, std::string("data of ") + key);
  }
  const std::vector<std::string> expected = {"A1", "B", "a", "a0", "aa", "b", "c", "\xc3\xa9"};
  const std::vector<Record> all = this->ListOk(table, "", 100);
  EXPECT_EQ(db_contract::Keys(all), expected);
  for (const Record& r : all) {
    EXPECT_EQ(r.table, table);
    EXPECT_EQ(r.data, "data of " + r.key);
    EXPECT_EQ(r.version, 1);
  }
}

TYPED_TEST_P(DatabaseContractTest, ListPagesAfterAKeyWithALimit) {
  const std::string table = this->NewTable();
  std::vector<std::string> keys;
  for (int i = 0; i < 7; ++i) keys.push_back("key" + std::to_string(i));
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) this->PutOk(table, *it, "x");
  using V = std::vector<std::string>;
  EXPECT_EQ(db_contract::Keys(this->ListOk(table, "", 3)), (V{"key0", "key1", "key2"}));
  // Strictly after after_key, which need not exist.
  EXPECT_EQ(db_contract::Keys(this->ListOk(table, "key2", 2)), (V{"key3", "key4"}));
  EXPECT_EQ(db_contract::Keys(this->ListOk(table, "key25", 10)),
            (V{"key3", "key4", "key5", "key6"}));
  EXPECT_TRUE(this->ListOk(table, "key6", 10).empty());
  EXPECT_TRUE(this->ListOk(table, "", 0).empty());

  std::vector<std::string> paged;
  std::string after;
  for (int page = 0; page < 10; ++page) {  // bounded: 7 keys need 4 pages
    const std::vector<Record> batch = this->ListOk(table, after, 2);
    if (batch.empty()) break;
    EXPECT_LE(batch.size(), 2u);
    for (const Record& r : batch) paged.push_back(r.key);
    after = batch.back().key;
  }
  EXPECT_EQ(paged, keys);
}

TYPED_TEST_P(DatabaseContractTest, CountFollowsPutsAndRemoves) {
  const std::string table = this->NewTable();
  EXPECT_EQ(this->CountOk(table), 0);
  this->PutOk(table, "a", "x");
  this->PutOk(table, "b", "x");
  this->PutOk(table, "a", "y");  // an update is not a new record
  EXPECT_EQ(this->CountOk(table), 2);
  ASSERT_TRUE(this->db().Remove(table, "a").ok());
  EXPECT_EQ(this->CountOk(table), 1);
}

TYPED_TEST_P(DatabaseContractTest, TablesAreIsolated) {
  const std::string first = this->NewTable();
  const std::string second = this->NewTable();
  this->PutOk(first, "k", "in first");
  this->PutOk(first, "k", "in first again");
  EXPECT_EQ(this->PutOk(second, "k", "in second", 0), 1);
  this->PutOk(second, "only", "x");
  const std::optional<Record> got = this->GetOk(first, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "in first again");
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(this->CountOk(first), 1);
  EXPECT_EQ(this->CountOk(second), 2);
  EXPECT_EQ(db_contract::Keys(this->ListOk(first, "", 10)), std::vector<std::string>{"k"});
  ASSERT_TRUE(this->db().Remove(second, "k").ok());
  EXPECT_TRUE(this->GetOk(first, "k").has_value());
}

TYPED_TEST_P(DatabaseContractTest, DataRoundTripsExactly) {
  const std::string table = this->NewTable();
  const std::vector<std::string> values = {
      "", R"({"nested": {"list": [1, 2.5, null]}, "s": "x"})", "tab\tnewline\nquote'\"back\\",
      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", std::string(64 * 1024, 'z')};
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string key = "k" + std::to_string(i);
    this->PutOk(table, key, values[i]);
    const std::optional<Record> got = this->GetOk(table, key);
    ASSERT_TRUE(got.has_value()) << key;
    EXPECT_EQ(got->data, values[i]) << key;
  }
}

TYPED_TEST_P(DatabaseContractTest, ConcurrentConditionalPutsHaveOneWinner) {
  constexpr int kThreads = 6;
  const std::string table = this->NewTable();
  for (int64_t expected : {0, 1}) {  // first a create race, then an update race
    std::vector<Status> outcomes(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        outcomes[static_cast<size_t>(t)] =
            this->db().Put(table, "k", "by " + std::to_string(t), expected).status();
      });
    }
    for (std::thread& thread : threads) thread.join();
    int winners = 0;
    for (const Status& status : outcomes) {
      if (status.ok()) {
        ++winners;
      } else {
        EXPECT_TRUE(db_contract::HasCode(status, StatusCode::kConflict));
      }
    }
    EXPECT_EQ(winners, 1) << "expected_version " << expected;
    const std::optional<Record> got = this->GetOk(table, "k");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->version, expected + 1);
  }
}

TYPED_TEST_P(DatabaseContractTest, ConcurrentUpsertsLoseNoVersion) {
  constexpr int kThreads = 4;
  constexpr int kPutsPerThread = 10;
  const std::string table = this->NewTable();
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPutsPerThread; ++i) {
        if (!this->db().Put(table, "k", "x", std::nullopt).ok()) ++failures[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
  const std::optional<Record> got = this->GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, kThreads * kPutsPerThread);
}

TYPED_TEST_P(DatabaseContractTest, CloseMakesEveryCallUnavailable) {
  const std::string table = this->NewTable();
  this->PutOk(table, "k", "x");
  this->db().Close();
  const StatusCode kUnavailable = StatusCode::kUnavailable;
  EXPECT_TRUE(db_contract::HasCode(this->db().Ping(), kUnavailable));
  EXPECT_TRUE(db_contract::HasCode(this->db().Get(table, "k").status(), kUnavailable));
  EXPECT_TRUE(
      db_contract::HasCode(this->db().Put(table, "k", "y", std::nullopt).status(), kUnavailable));
  EXPECT_TRUE(db_contract::HasCode(this->db().Remove(table, "k").status(), kUnavailable));
  EXPECT_TRUE(db_contract::HasCode(this->db().List(table, "", 10).status(), kUnavailable));
  EXPECT_TRUE(db_contract::HasCode(this->db().Count(table).status(), kUnavailable));
}

REGISTER_TYPED_TEST_SUITE_P(DatabaseContractTest, PingProviderAndIdempotentSetup,
                            GetOfAMissingKeyIsNullopt, PutStartsAtVersionOneAndGetReturnsTheRecord,
                            UnconditionalPutsIncrementTheVersion,
                            ExpectedVersionZeroRequiresAMissingKey, ExpectedVersionMustMatch,
                            RemoveReportsWhetherTheKeyExisted, ListIsOrderedByKeyBytes,
                            ListPagesAfterAKeyWithALimit, CountFollowsPutsAndRemoves,
                            TablesAreIsolated, DataRoundTripsExactly,
                            ConcurrentConditionalPutsHaveOneWinner, ConcurrentUpsertsLoseNoVersion,
                            CloseMakesEveryCallUnavailable);

}  // namespace protean
