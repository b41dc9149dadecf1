// The Database contract's cases (database_contract.h), compiled once for
// every backend: each backend's test file instantiates DatabaseContractTest.

#include "tests/contract/database_contract.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/database.h"
#include "core/status.h"

namespace protean {
namespace {

using contract::HasCode;

std::vector<std::string> Keys(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const Record& r : records) out.push_back(r.key);
  return out;
}

}  // namespace

void DatabaseContractTest::SetUp() {
  ContractTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  const Status setup = db().Setup();
  ASSERT_TRUE(setup.ok()) << setup.ToString();
}

void DatabaseContractTest::TearDown() {
  if (!opened()) return;
  for (const std::string& table : tables_) {
    for (int page = 0; page < 100; ++page) {  // bounded: cases write a few keys
      Result<std::vector<Record>> listed = db().List(table, "", 100);
      if (!listed.ok() || listed->empty()) break;
      for (const Record& r : *listed) (void)db().Remove(table, r.key);
    }
  }
  db().Close();
}

std::string DatabaseContractTest::NewTable() {
  tables_.push_back("ct_" + contract::ProcessToken() + "_" +
                    std::to_string(contract::NextSerial()));
  return tables_.back();
}

int64_t DatabaseContractTest::PutOk(const std::string& table, const std::string& key,
                                    const std::string& data,
                                    std::optional<int64_t> expected_version) {
  Result<int64_t> put = db().Put(table, key, data, expected_version);
  EXPECT_TRUE(put.ok()) << "Put " << table << "/" << key << ": " << put.status().ToString();
  return put.ok() ? *put : -100;
}

std::optional<Record> DatabaseContractTest::GetOk(const std::string& table,
                                                  const std::string& key) {
  Result<std::optional<Record>> got = db().Get(table, key);
  EXPECT_TRUE(got.ok()) << "Get " << table << "/" << key << ": " << got.status().ToString();
  return got.ok() ? *got : std::nullopt;
}

std::vector<Record> DatabaseContractTest::ListOk(const std::string& table,
                                                 const std::string& after_key, size_t limit) {
  Result<std::vector<Record>> listed = db().List(table, after_key, limit);
  EXPECT_TRUE(listed.ok()) << "List " << table << ": " << listed.status().ToString();
  return listed.ok() ? *listed : std::vector<Record>{};
}

int64_t DatabaseContractTest::CountOk(const std::string& table) {
  Result<int64_t> count = db().Count(table);
  EXPECT_TRUE(count.ok()) << "Count " << table << ": " << count.status().ToString();
  return count.ok() ? *count : -100;
}

TEST_P(DatabaseContractTest, PingProviderAndIdempotentSetup) {
  EXPECT_TRUE(db().Ping().ok());
  EXPECT_FALSE(db().provider().empty());
  const Status again = db().Setup();
  EXPECT_TRUE(again.ok()) << again.ToString();
  const PoolStats stats = db().pool_stats();
  EXPECT_GE(stats.size, 0);
  EXPECT_GE(stats.checked_out, 0);
  EXPECT_GE(stats.overflow, 0);
  EXPECT_GE(stats.checked_in, 0);
}

TEST_P(DatabaseContractTest, GetOfAMissingKeyIsNullopt) {
  const std::string table = NewTable();
  EXPECT_EQ(GetOk(table, "missing"), std::nullopt);
  PutOk(table, "present", "x");
  EXPECT_EQ(GetOk(table, "missing"), std::nullopt);
}

TEST_P(DatabaseContractTest, PutStartsAtVersionOneAndGetReturnsTheRecord) {
  const std::string table = NewTable();
  EXPECT_EQ(PutOk(table, "k", R"({"a": 1})"), 1);
  const std::optional<Record> got = GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->table, table);
  EXPECT_EQ(got->key, "k");
  EXPECT_EQ(got->data, R"({"a": 1})");
  EXPECT_EQ(got->version, 1);
}

TEST_P(DatabaseContractTest, UnconditionalPutsIncrementTheVersion) {
  const std::string table = NewTable();
  EXPECT_EQ(PutOk(table, "k", "one"), 1);
  EXPECT_EQ(PutOk(table, "k", "two"), 2);
  EXPECT_EQ(PutOk(table, "k", "three"), 3);
  const std::optional<Record> got = GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "three");
  EXPECT_EQ(got->version, 3);
}

TEST_P(DatabaseContractTest, ExpectedVersionZeroRequiresAMissingKey) {
  const std::string table = NewTable();
  EXPECT_EQ(PutOk(table, "k", "first", 0), 1);
  Result<int64_t> again = db().Put(table, "k", "second", 0);
  EXPECT_TRUE(HasCode(again.status(), StatusCode::kConflict));
  const std::optional<Record> got = GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "first");
  EXPECT_EQ(got->version, 1);
}

TEST_P(DatabaseContractTest, ExpectedVersionMustMatch) {
  const std::string table = NewTable();
  PutOk(table, "k", "v1");
  PutOk(table, "k", "v2");
  EXPECT_EQ(PutOk(table, "k", "v3", 2), 3);
  for (int64_t stale : {2, 1, 4, 7}) {
    Result<int64_t> put = db().Put(table, "k", "lost", stale);
    EXPECT_TRUE(HasCode(put.status(), StatusCode::kConflict)) << stale;
  }
  const std::optional<Record> got = GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "v3");
  EXPECT_EQ(got->version, 3);
  // Expecting a version of a key that does not exist is a conflict too.
  Result<int64_t> missing = db().Put(table, "other", "x", 1);
  EXPECT_TRUE(HasCode(missing.status(), StatusCode::kConflict));
  EXPECT_EQ(GetOk(table, "other"), std::nullopt);
}

TEST_P(DatabaseContractTest, RemoveReportsWhetherTheKeyExisted) {
  const std::string table = NewTable();
  PutOk(table, "k", "x");
  PutOk(table, "k", "y");
  Result<bool> removed = db().Remove(table, "k");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_TRUE(*removed);
  EXPECT_EQ(GetOk(table, "k"), std::nullopt);
  Result<bool> again = db().Remove(table, "k");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(*again);
  // A removed key is new again: version 1, and expected_version 0 holds.
  EXPECT_EQ(PutOk(table, "k", "z", 0), 1);
  EXPECT_EQ(CountOk(table), 1);
}

TEST_P(DatabaseContractTest, ListIsOrderedByKeyBytes) {
  const std::string table = NewTable();
  // Shuffled; byte order differs from most locales' order ("B" < "a").
  for (const char* key : {"b", "a0", "\xc3\xa9", "B", "aa", "c", "a", "A1"}) {
    PutOk(table, key, std::string("data of ") + key);
  }
  const std::vector<std::string> expected = {"A1", "B", "a", "a0", "aa", "b", "c", "\xc3\xa9"};
  const std::vector<Record> all = ListOk(table, "", 100);
  EXPECT_EQ(Keys(all), expected);
  for (const Record& r : all) {
    EXPECT_EQ(r.table, table);
    EXPECT_EQ(r.data, "data of " + r.key);
    EXPECT_EQ(r.version, 1);
  }
}

TEST_P(DatabaseContractTest, ListPagesAfterAKeyWithALimit) {
  const std::string table = NewTable();
  std::vector<std::string> keys;
  for (int i = 0; i < 7; ++i) keys.push_back("key" + std::to_string(i));
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) PutOk(table, *it, "x");
  using V = std::vector<std::string>;
  EXPECT_EQ(Keys(ListOk(table, "", 3)), (V{"key0", "key1", "key2"}));
  // Strictly after after_key, which need not exist.
  EXPECT_EQ(Keys(ListOk(table, "key2", 2)), (V{"key3", "key4"}));
  EXPECT_EQ(Keys(ListOk(table, "key25", 10)), (V{"key3", "key4", "key5", "key6"}));
  EXPECT_TRUE(ListOk(table, "key6", 10).empty());
  EXPECT_TRUE(ListOk(table, "", 0).empty());

  std::vector<std::string> paged;
  std::string after;
  for (int page = 0; page < 10; ++page) {  // bounded: 7 keys need 4 pages
    const std::vector<Record> batch = ListOk(table, after, 2);
    if (batch.empty()) break;
    EXPECT_LE(batch.size(), 2u);
    for (const Record& r : batch) paged.push_back(r.key);
    after = batch.back().key;
  }
  EXPECT_EQ(paged, keys);
}

TEST_P(DatabaseContractTest, CountFollowsPutsAndRemoves) {
  const std::string table = NewTable();
  EXPECT_EQ(CountOk(table), 0);
  PutOk(table, "a", "x");
  PutOk(table, "b", "x");
  PutOk(table, "a", "y");  // an update is not a new record
  EXPECT_EQ(CountOk(table), 2);
  ASSERT_TRUE(db().Remove(table, "a").ok());
  EXPECT_EQ(CountOk(table), 1);
}

TEST_P(DatabaseContractTest, TablesAreIsolated) {
  const std::string first = NewTable();
  const std::string second = NewTable();
  PutOk(first, "k", "in first");
  PutOk(first, "k", "in first again");
  EXPECT_EQ(PutOk(second, "k", "in second", 0), 1);
  PutOk(second, "only", "x");
  const std::optional<Record> got = GetOk(first, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "in first again");
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(CountOk(first), 1);
  EXPECT_EQ(CountOk(second), 2);
  EXPECT_EQ(Keys(ListOk(first, "", 10)), std::vector<std::string>{"k"});
  ASSERT_TRUE(db().Remove(second, "k").ok());
  EXPECT_TRUE(GetOk(first, "k").has_value());
}

TEST_P(DatabaseContractTest, DataRoundTripsExactly) {
  const std::string table = NewTable();
  const std::vector<std::string> values = {
      "", R"({"nested": {"list": [1, 2.5, null]}, "s": "x"})", "tab\tnewline\nquote'\"back\\",
      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", std::string(64 * 1024, 'z')};
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string key = "k" + std::to_string(i);
    PutOk(table, key, values[i]);
    const std::optional<Record> got = GetOk(table, key);
    ASSERT_TRUE(got.has_value()) << key;
    EXPECT_EQ(got->data, values[i]) << key;
  }
}

TEST_P(DatabaseContractTest, ConcurrentConditionalPutsHaveOneWinner) {
  constexpr int kThreads = 6;
  const std::string table = NewTable();
  for (int64_t expected : {0, 1}) {  // first a create race, then an update race
    std::vector<Status> outcomes(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        outcomes[static_cast<size_t>(t)] =
            db().Put(table, "k", "by " + std::to_string(t), expected).status();
      });
    }
    for (std::thread& thread : threads) thread.join();
    int winners = 0;
    for (const Status& status : outcomes) {
      if (status.ok()) {
        ++winners;
      } else {
        EXPECT_TRUE(HasCode(status, StatusCode::kConflict));
      }
    }
    EXPECT_EQ(winners, 1) << "expected_version " << expected;
    const std::optional<Record> got = GetOk(table, "k");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->version, expected + 1);
  }
}

TEST_P(DatabaseContractTest, ConcurrentUpsertsLoseNoVersion) {
  constexpr int kThreads = 4;
  constexpr int kPutsPerThread = 10;
  const std::string table = NewTable();
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPutsPerThread; ++i) {
        if (!db().Put(table, "k", "x", std::nullopt).ok()) ++failures[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
  const std::optional<Record> got = GetOk(table, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, kThreads * kPutsPerThread);
}

TEST_P(DatabaseContractTest, CloseMakesEveryCallUnavailable) {
  const std::string table = NewTable();
  PutOk(table, "k", "x");
  db().Close();
  const StatusCode kUnavailable = StatusCode::kUnavailable;
  EXPECT_TRUE(HasCode(db().Ping(), kUnavailable));
  EXPECT_TRUE(HasCode(db().Get(table, "k").status(), kUnavailable));
  EXPECT_TRUE(HasCode(db().Put(table, "k", "y", std::nullopt).status(), kUnavailable));
  EXPECT_TRUE(HasCode(db().Remove(table, "k").status(), kUnavailable));
  EXPECT_TRUE(HasCode(db().List(table, "", 10).status(), kUnavailable));
  EXPECT_TRUE(HasCode(db().Count(table).status(), kUnavailable));
}

}  // namespace protean
