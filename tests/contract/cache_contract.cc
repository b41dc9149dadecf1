// The Cache contract's cases (cache_contract.h), compiled once for every
// backend: each backend's test file instantiates CacheContractTest.

#include "tests/contract/cache_contract.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/cache.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

using contract::HasCode;

CacheContractTest::CacheContractTest()
    : ttl_(simulated() ? Seconds(10) : Millis(150)),
      past_ttl_(simulated() ? Seconds(11) : Millis(250)),
      slack_(simulated() ? Duration(0) : Millis(2)) {}

void CacheContractTest::SetUp() {
  ContractTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  prefix_ = "ct:" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
            ":" + contract::ProcessToken() + ":" + std::to_string(contract::NextSerial()) + ":";
}

void CacheContractTest::TearDown() {
  if (!opened()) return;
  for (const std::string& key : keys_) (void)cache().Remove(key);
  cache().Close();
}

std::string CacheContractTest::Key(const std::string& name) {
  keys_.insert(prefix_ + name);
  return prefix_ + name;
}

void CacheContractTest::SetOk(const std::string& key, const std::string& value,
                              std::optional<Duration> ttl) {
  const Status set = cache().Set(key, value, ttl);
  EXPECT_TRUE(set.ok()) << "Set " << key << ": " << set.ToString();
}

std::optional<std::string> CacheContractTest::GetValue(const std::string& key) {
  Result<std::string> got = cache().Get(key);
  if (got.ok()) return *got;
  EXPECT_TRUE(HasCode(got.status(), StatusCode::kNotFound)) << key;
  return std::nullopt;
}

std::optional<Duration> CacheContractTest::TtlOk(const std::string& key) {
  Result<std::optional<Duration>> ttl = cache().Ttl(key);
  EXPECT_TRUE(ttl.ok()) << "Ttl " << key << ": " << ttl.status().ToString();
  return ttl.ok() ? *ttl : std::optional<Duration>(Duration(-1));
}

TEST_P(CacheContractTest, PingAndProvider) {
  EXPECT_TRUE(cache().Ping().ok());
  EXPECT_FALSE(cache().provider().empty());
}

TEST_P(CacheContractTest, SetThenGetAndOverwrite) {
  const std::string key = Key("k");
  SetOk(key, "one", std::nullopt);
  EXPECT_EQ(GetValue(key), std::optional<std::string>("one"));
  SetOk(key, "two", std::nullopt);
  EXPECT_EQ(GetValue(key), std::optional<std::string>("two"));
  // Keys are independent.
  SetOk(Key("other"), "three", std::nullopt);
  EXPECT_EQ(GetValue(key), std::optional<std::string>("two"));
}

TEST_P(CacheContractTest, MissingKeyIsNotFound) {
  const std::string key = Key("missing");
  EXPECT_TRUE(HasCode(cache().Get(key).status(), StatusCode::kNotFound));
  EXPECT_TRUE(HasCode(cache().Ttl(key).status(), StatusCode::kNotFound));
  Result<bool> removed = cache().Remove(key);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_FALSE(*removed);
}

TEST_P(CacheContractTest, ValuesRoundTripExactly) {
  const std::vector<std::string> values = {"", std::string("nul\0byte", 8),
                                           "\xc3\xa9\xf0\x9f\x98\x80 \r\n\t\"'\\",
                                           std::string(64 * 1024, 'v')};
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string key = Key("v" + std::to_string(i));
    SetOk(key, values[i], std::nullopt);
    EXPECT_EQ(GetValue(key), std::optional<std::string>(values[i])) << i;
  }
}

TEST_P(CacheContractTest, KeyExpiresAfterItsTtl) {
  const std::string key = Key("k");
  SetOk(key, "v", ttl_);
  EXPECT_EQ(GetValue(key), std::optional<std::string>("v"));
  AdvanceTime(past_ttl_);
  EXPECT_EQ(GetValue(key), std::nullopt);
  EXPECT_TRUE(HasCode(cache().Ttl(key).status(), StatusCode::kNotFound));
  Result<bool> removed = cache().Remove(key);
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(*removed);
}

TEST_P(CacheContractTest, TtlReportsTheRemainingTime) {
  const std::string key = Key("k");
  const Duration ttl = ttl_;
  const Duration step = ttl / 3;
  SetOk(key, "v", ttl);
  const std::optional<Duration> fresh = TtlOk(key);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_GT(*fresh, Duration(0));
  EXPECT_LE(*fresh, ttl);
  AdvanceTime(step);
  const std::optional<Duration> later = TtlOk(key);
  ASSERT_TRUE(later.has_value());
  if (simulated()) {
    EXPECT_EQ(*later, ttl - step);
  } else {
    EXPECT_LE(*later, ttl - step + slack_);
    EXPECT_GT(*later, Duration(0));
  }
}

TEST_P(CacheContractTest, NoTtlMeansNoExpiry) {
  const std::string key = Key("k");
  SetOk(key, "v", std::nullopt);
  EXPECT_EQ(TtlOk(key), std::nullopt);
  AdvanceTime(past_ttl_);
  EXPECT_EQ(GetValue(key), std::optional<std::string>("v"));
  EXPECT_EQ(TtlOk(key), std::nullopt);
}

TEST_P(CacheContractTest, PlainSetClearsTheTtl) {
  const std::string key = Key("k");
  SetOk(key, "short-lived", ttl_);
  SetOk(key, "forever", std::nullopt);
  EXPECT_EQ(TtlOk(key), std::nullopt);
  AdvanceTime(past_ttl_);
  EXPECT_EQ(GetValue(key), std::optional<std::string>("forever"));
}

TEST_P(CacheContractTest, SetWithATtlReplacesTheTtl) {
  const std::string key = Key("k");
  SetOk(key, "v1", std::nullopt);
  SetOk(key, "v2", ttl_);  // a TTL added to a persistent key
  const std::optional<Duration> added = TtlOk(key);
  ASSERT_TRUE(added.has_value());
  EXPECT_LE(*added, ttl_);
  SetOk(key, "v3", ttl_ * 100);  // and replaced by a longer one
  const std::optional<Duration> longer = TtlOk(key);
  ASSERT_TRUE(longer.has_value());
  EXPECT_GT(*longer, ttl_);
  AdvanceTime(past_ttl_);
  EXPECT_EQ(GetValue(key), std::optional<std::string>("v3"));
}

TEST_P(CacheContractTest, SetKeepTtlKeepsTheTtl) {
  const std::string key = Key("k");
  const Duration ttl = ttl_;
  const Duration step = ttl / 3;
  SetOk(key, "v1", ttl);
  AdvanceTime(step);
  const Status kept = cache().SetKeepTtl(key, "v2");
  ASSERT_TRUE(kept.ok()) << kept.ToString();
  EXPECT_EQ(GetValue(key), std::optional<std::string>("v2"));
  const std::optional<Duration> remaining = TtlOk(key);
  ASSERT_TRUE(remaining.has_value()) << "SetKeepTtl dropped the TTL";
  EXPECT_LE(*remaining, ttl - step + slack_) << "SetKeepTtl restarted the TTL";
  // The original deadline still applies.
  AdvanceTime(past_ttl_ - step);
  EXPECT_EQ(GetValue(key), std::nullopt);
}

TEST_P(CacheContractTest, SetKeepTtlOnAKeyWithoutTtlOrMissing) {
  const std::string persistent = Key("persistent");
  SetOk(persistent, "v1", std::nullopt);
  ASSERT_TRUE(cache().SetKeepTtl(persistent, "v2").ok());
  EXPECT_EQ(GetValue(persistent), std::optional<std::string>("v2"));
  EXPECT_EQ(TtlOk(persistent), std::nullopt);

  const std::string missing = Key("missing");
  ASSERT_TRUE(cache().SetKeepTtl(missing, "new").ok());
  EXPECT_EQ(GetValue(missing), std::optional<std::string>("new"));
  EXPECT_EQ(TtlOk(missing), std::nullopt);

  // An expired key is a missing one: its old TTL does not come back.
  const std::string expired = Key("expired");
  SetOk(expired, "old", ttl_);
  AdvanceTime(past_ttl_);
  ASSERT_TRUE(cache().SetKeepTtl(expired, "revived").ok());
  EXPECT_EQ(GetValue(expired), std::optional<std::string>("revived"));
  EXPECT_EQ(TtlOk(expired), std::nullopt);
}

TEST_P(CacheContractTest, RemoveReportsWhetherTheKeyExisted) {
  const std::string key = Key("k");
  SetOk(key, "v", ttl_);
  Result<bool> removed = cache().Remove(key);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_TRUE(*removed);
  EXPECT_EQ(GetValue(key), std::nullopt);
  Result<bool> again = cache().Remove(key);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(*again);
  // A key set again after removal has no leftover TTL.
  SetOk(key, "back", std::nullopt);
  EXPECT_EQ(TtlOk(key), std::nullopt);
}

TEST_P(CacheContractTest, ZeroOrNegativeTtlIsInvalid) {
  const std::string key = Key("k");
  SetOk(key, "kept", std::nullopt);
  for (Duration ttl : {Duration(0), -Seconds(1)}) {
    EXPECT_TRUE(HasCode(cache().Set(key, "lost", ttl), StatusCode::kInvalidArgument))
        << ttl.count();
  }
  EXPECT_EQ(GetValue(key), std::optional<std::string>("kept"));
  EXPECT_EQ(TtlOk(key), std::nullopt);
  const std::string fresh = Key("fresh");
  EXPECT_FALSE(cache().Set(fresh, "lost", Duration(0)).ok());
  EXPECT_EQ(GetValue(fresh), std::nullopt);
}

TEST_P(CacheContractTest, ConcurrentCallsFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kOpsPerThread = 25;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    const std::string key = Key("t" + std::to_string(t));
    threads.emplace_back([&, t, key] {
      for (int i = 0; i < kOpsPerThread; ++i) {
        const std::string value = std::to_string(t) + ":" + std::to_string(i);
        Result<std::string> got("");
        if (cache().Set(key, value, std::nullopt).ok()) got = cache().Get(key);
        if (!got.ok() || *got != value) ++mismatches[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(kThreads, 0));
}

TEST_P(CacheContractTest, CloseMakesEveryCallUnavailable) {
  const std::string key = Key("k");
  SetOk(key, "v", std::nullopt);
  cache().Close();
  const StatusCode kUnavailable = StatusCode::kUnavailable;
  EXPECT_TRUE(HasCode(cache().Ping(), kUnavailable));
  EXPECT_TRUE(HasCode(cache().Get(key).status(), kUnavailable));
  EXPECT_TRUE(HasCode(cache().Set(key, "w", std::nullopt), kUnavailable));
  EXPECT_TRUE(HasCode(cache().SetKeepTtl(key, "w"), kUnavailable));
  EXPECT_TRUE(HasCode(cache().Remove(key).status(), kUnavailable));
  EXPECT_TRUE(HasCode(cache().Ttl(key).status(), kUnavailable));
}

}  // namespace protean
