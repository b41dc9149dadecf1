#pragma once
// The Cache contract (core/cache.h): Redis SET/GET/DEL/PTTL semantics with
// optional TTLs. Every implementation is instantiated against the same typed
// suite:
//
//   struct MyBackend {
//     // A fresh cache; `clock` outlives it (a SimClock when kSimulatedTime,
//     // else a RealClock).
//     static std::unique_ptr<Cache> Make(Clock& clock);
//     // A non-empty reason skips every case (e.g. "PROTEAN_REDIS_URL not set").
//     static std::optional<std::string> SkipReason();
//     // true: AdvanceTime moves the SimClock and TTLs are seconds long;
//     // false: it sleeps, and TTLs are a few hundred milliseconds.
//     static constexpr bool kSimulatedTime = true;
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(Mine, CacheContractTest, ::testing::Types<MyBackend>);
//
// Cases may share one real server with other runs: keys are unique to the
// process and the case (`ct:<Case>:<token>:<n>:<name>`). Real-mode cases
// leave slack for the server's millisecond TTL resolution and for scheduling.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/cache.h"
#include "core/clock.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {
namespace cache_contract {

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

}  // namespace cache_contract

template <typename Backend>
class CacheContractTest : public ::testing::Test {
 protected:
  static constexpr bool kSimulated = Backend::kSimulatedTime;
  // A TTL, and a wait longer than it; real mode keeps both short.
  static constexpr Duration kTtl = kSimulated ? Seconds(10) : Millis(150);
  static constexpr Duration kPastTtl = kSimulated ? Seconds(11) : Millis(250);
  // Slack on a real server's remaining TTL (PTTL has millisecond resolution).
  static constexpr Duration kSlack = kSimulated ? Duration(0) : Millis(2);

  void SetUp() override {
    const std::optional<std::string> reason = Backend::SkipReason();
    if (reason.has_value() && !reason->empty()) GTEST_SKIP() << *reason;
    cache_ = Backend::Make(clock());
    ASSERT_NE(cache_, nullptr);
    prefix_ = "ct:" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
              ":" + cache_contract::ProcessToken() + ":" +
              std::to_string(cache_contract::NextSerial()) + ":";
  }

  // Removes the case's keys (best effort: a closed cache refuses).
  void TearDown() override {
    if (cache_ == nullptr) return;
    for (const std::string& key : keys_) (void)cache_->Remove(key);
    cache_->Close();
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

  Cache& cache() { return *cache_; }

  // A key no other case or run uses. Call it from the test thread only.
  std::string Key(const std::string& name) {
    keys_.insert(prefix_ + name);
    return prefix_ + name;
  }

  void SetOk(const std::string& key, const std::string& value, std::optional<Duration> ttl) {
    const Status set = cache_->Set(key, value, ttl);
    EXPECT_TRUE(set.ok()) << "Set " << key << ": " << set.ToString();
  }

  // The value, or nullopt when Get says kNotFound (any other error fails).
  std::optional<std::string> GetValue(const std::string& key) {
    Result<std::string> got = cache_->Get(key);
    if (got.ok()) return *got;
    EXPECT_TRUE(cache_contract::HasCode(got.status(), StatusCode::kNotFound)) << key;
    return std::nullopt;
  }

  // The remaining TTL; fails the case unless the key exists.
  std::optional<Duration> TtlOk(const std::string& key) {
    Result<std::optional<Duration>> ttl = cache_->Ttl(key);
    EXPECT_TRUE(ttl.ok()) << "Ttl " << key << ": " << ttl.status().ToString();
    return ttl.ok() ? *ttl : std::optional<Duration>(Duration(-1));
  }

 private:
  SimClock sim_clock_;
  RealClock real_clock_;
  std::unique_ptr<Cache> cache_;
  std::string prefix_;
  std::set<std::string> keys_;  // handed out by Key, removed by TearDown
};

TYPED_TEST_SUITE_P(CacheContractTest);

TYPED_TEST_P(CacheContractTest, PingAndProvider) {
  EXPECT_TRUE(this->cache().Ping().ok());
  EXPECT_FALSE(this->cache().provider().empty());
}

TYPED_TEST_P(CacheContractTest, SetThenGetAndOverwrite) {
  const std::string key = this->Key("k");
  this->SetOk(key, "one", std::nullopt);
  EXPECT_EQ(this->GetValue(key), std::optional<std::string>("one"));
  this->SetOk(key, "two", std::nullopt);
  EXPECT_EQ(this->GetValue(key), std::optional<std::string>("two"));
  // Keys are independent.
  this->SetOk(this->Key("other"), "three", std::nullopt);
  EXPECT_EQ(this->GetValue(key), std::optional<std::string>("two"));
}

TYPED_TEST_P(CacheContractTest, MissingKeyIsNotFound) {
  const std::string key = this->Key("missing");
  EXPECT_TRUE(cache_contract::HasCode(this->cache().Get(key).status(), StatusCode::kNotFound));
  EXPECT_TRUE(cache_contract::HasCode(this->cache().Ttl(key).status(), StatusCode::kNotFound));
  Result<bool> removed = this->cache().Remove(key);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_FALSE(*removed);
}

TYPED_TEST_P(CacheContractTest, ValuesRoundTripExactly) {
  const std::vector<std::string> values = {"", std::string("nul\0byte", 8),
                                           "\xc3\xa9\xf0\x9f\x98\x80 \r\n\t\"'\\",
                                           std::string(64 * 1024, 'v')};
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string key = this->Key("v" + std::to_string(i));
    this->SetOk(key, values[i], std::nullopt);
    EXPECT_EQ(this->GetValue(key), std::optional<std::string>(values[i])) << i;
  }
}

TYPED_TEST_P(CacheContractTest, KeyExpiresAfterItsTtl) {
  const std::string key = this->Key("k");
  this->SetOk(key, "v", TestFixture::kTtl);
  EXPECT_EQ(this->GetValue(key), std::optional<std::string>("v"));
  this->AdvanceTime(TestFixture::kPastTtl);
  EXPECT_EQ(this->GetValue(key), std::nullopt);
  EXPECT_TRUE(cache_contract::HasCode(this->cache().Ttl(key).status(), StatusCode::kNotFound));
  Result<bool> removed = this->cache().Remove(key);
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(*removed);
}

TYPED_TEST_P(CacheContractTest, TtlReportsTheRemainingTime) {
  const std::string key = this->Key("k");
  const Duration ttl = TestFixture::kTtl;
  const Duration step = ttl / 3;
  this->SetOk(key, "v", ttl);
  const std::optional<Duration> fresh = this->TtlOk(key);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_GT(*fresh, Duration(0));
  EXPECT_LE(*fresh, ttl);
  this->AdvanceTime(step);
  const std::optional<Duration> later = this->TtlOk(key);
  ASSERT_TRUE(later.has_value());
  if constexpr (TestFixture::kSimulated) {
    EXPECT_EQ(*later, ttl - step);
  } else {
    EXPECT_LE(*later, ttl - step + TestFixture::kSlack);
    EXPECT_GT(*later, Duration(0));
  }
}

TYPED_TEST_P(CacheContractTest, NoTtlMeansNoExpiry) {
  const std::string key = this->Key("k");
  this->SetOk(key, "v", std::nullopt);
  EXPECT_EQ(this->TtlOk(key), std::nullopt);
  this->AdvanceTime(TestFixture::kPastTtl);
  EXPECT_EQ(this->GetValue(key), std::optional<std::string>("v"));
  EXPECT_EQ(this->TtlOk(key), std::nullopt);
}

TYPED_TEST_P(CacheContractTest, PlainSetClearsTheTtl) {
  const std::string key = this->Key("k");
  this->SetOk(key, "short-lived", TestFixture::kTtl);
  this->SetOk(key, "forever", std::nullopt);
  EXPECT_EQ(this->TtlOk(key), std::nullopt);
  this->AdvanceTime(TestFixture::kPastTtl);
  EXPECT_EQ(this->GetValue(key), std::optional<std::string>("forever"));
}

TYPED_TEST_P(CacheContractTest, SetWithATtlReplacesTheTtl) {
  const std::string key = this->Key("k");
  this->SetOk(key, "v1", std::nullopt);
  this->SetOk(key, "v2", TestFixture::kTtl);  // a TTL added to a persistent key
  const std::optional<Duration> added = this->TtlOk(key);
  ASSERT_TRUE(added.has_value());
  EXPECT_LE(*added, TestFixture::kTtl);
  this->SetOk(key, "v3", TestFixture::kTtl * 100);  // and replaced by a longer one
  const std::optional<Duration> longer = this->TtlOk(key);
  ASSERT_TRUE(longer.has_value());
  EXPECT_GT(*longer, TestFixture::kTtl);
  this->AdvanceTime(TestFixture::kPastTtl);
  EXPECT_EQ(this->GetValue(key), std::optional<std::string>("v3"));
}

TYPED_TEST_P(CacheContractTest, SetKeepTtlKeepsTheTtl) {
  const std::string key = this->Key("k");
  const Duration ttl = TestFixture::kTtl;
  const Duration step = ttl / 3;
  this->SetOk(key, "v1", ttl);
  this->AdvanceTime(step);
  const Status kept = this->cache().SetKeepTtl(key, "v2");
  ASSERT_TRUE(kept.ok()) << kept.ToString();
  EXPECT_EQ(this->GetValue(key), std::optional<std::string>("v2"));
  const std::optional<Duration> remaining = this->TtlOk(key);
  ASSERT_TRUE(remaining.has_value()) << "SetKeepTtl dropped the TTL";
  EXPECT_LE(*remaining, ttl - step + TestFixture::kSlack) << "SetKeepTtl restarted the TTL";
  // The original deadline still applies.
  this->AdvanceTime(TestFixture::kPastTtl - step);
  EXPECT_EQ(this->GetValue(key), std::nullopt);
}

TYPED_TEST_P(CacheContractTest, SetKeepTtlOnAKeyWithoutTtlOrMissing) {
  const std::string persistent = this->Key("persistent");
  this->SetOk(persistent, "v1", std::nullopt);
  ASSERT_TRUE(this->cache().SetKeepTtl(persistent, "v2").ok());
  EXPECT_EQ(this->GetValue(persistent), std::optional<std::string>("v2"));
  EXPECT_EQ(this->TtlOk(persistent), std::nullopt);

  const std::string missing = this->Key("missing");
  ASSERT_TRUE(this->cache().SetKeepTtl(missing, "new").ok());
  EXPECT_EQ(this->GetValue(missing), std::optional<std::string>("new"));
  EXPECT_EQ(this->TtlOk(missing), std::nullopt);

  // An expired key is a missing one: its old TTL does not come back.
  const std::string expired = this->Key("expired");
  this->SetOk(expired, "old", TestFixture::kTtl);
  this->AdvanceTime(TestFixture::kPastTtl);
  ASSERT_TRUE(this->cache().SetKeepTtl(expired, "revived").ok());
  EXPECT_EQ(this->GetValue(expired), std::optional<std::string>("revived"));
  EXPECT_EQ(this->TtlOk(expired), std::nullopt);
}

TYPED_TEST_P(CacheContractTest, RemoveReportsWhetherTheKeyExisted) {
  const std::string key = this->Key("k");
  this->SetOk(key, "v", TestFixture::kTtl);
  Result<bool> removed = this->cache().Remove(key);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_TRUE(*removed);
  EXPECT_EQ(this->GetValue(key), std::nullopt);
  Result<bool> again = this->cache().Remove(key);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(*again);
  // A key set again after removal has no leftover TTL.
  this->SetOk(key, "back", std::nullopt);
  EXPECT_EQ(this->TtlOk(key), std::nullopt);
}

TYPED_TEST_P(CacheContractTest, ZeroOrNegativeTtlIsInvalid) {
  const std::string key = this->Key("k");
  this->SetOk(key, "kept", std::nullopt);
  for (Duration ttl : {Duration(0), -Seconds(1)}) {
    EXPECT_TRUE(
        cache_contract::HasCode(this->cache().Set(key, "lost", ttl), StatusCode::kInvalidArgument))
        << ttl.count();
  }
  EXPECT_EQ(this->GetValue(key), std::optional<std::string>("kept"));
  EXPECT_EQ(this->TtlOk(key), std::nullopt);
  const std::string fresh = this->Key("fresh");
  EXPECT_FALSE(this->cache().Set(fresh, "lost", Duration(0)).ok());
  EXPECT_EQ(this->GetValue(fresh), std::nullopt);
}

TYPED_TEST_P(CacheContractTest, ConcurrentCallsFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kOpsPerThread = 25;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    const std::string key = this->Key("t" + std::to_string(t));
    threads.emplace_back([&, t, key] {
      for (int i = 0; i < kOpsPerThread; ++i) {
        const std::string value = std::to_string(t) + ":" + std::to_string(i);
        Result<std::string> got("");
        if (this->cache().Set(key, value, std::nullopt).ok()) got = this->cache().Get(key);
        if (!got.ok() || *got != value) ++mismatches[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(kThreads, 0));
}

TYPED_TEST_P(CacheContractTest, CloseMakesEveryCallUnavailable) {
  const std::string key = this->Key("k");
  this->SetOk(key, "v", std::nullopt);
  this->cache().Close();
  const StatusCode kUnavailable = StatusCode::kUnavailable;
  EXPECT_TRUE(cache_contract::HasCode(this->cache().Ping(), kUnavailable));
  EXPECT_TRUE(cache_contract::HasCode(this->cache().Get(key).status(), kUnavailable));
  EXPECT_TRUE(cache_contract::HasCode(this->cache().Set(key, "w", std::nullopt), kUnavailable));
  EXPECT_TRUE(cache_contract::HasCode(this->cache().SetKeepTtl(key, "w"), kUnavailable));
  EXPECT_TRUE(cache_contract::HasCode(this->cache().Remove(key).status(), kUnavailable));
  EXPECT_TRUE(cache_contract::HasCode(this->cache().Ttl(key).status(), kUnavailable));
}

REGISTER_TYPED_TEST_SUITE_P(CacheContractTest, PingAndProvider, SetThenGetAndOverwrite,
                            MissingKeyIsNotFound, ValuesRoundTripExactly, KeyExpiresAfterItsTtl,
                            TtlReportsTheRemainingTime, NoTtlMeansNoExpiry, PlainSetClearsTheTtl,
                            SetWithATtlReplacesTheTtl, SetKeepTtlKeepsTheTtl,
                            SetKeepTtlOnAKeyWithoutTtlOrMissing, RemoveReportsWhetherTheKeyExisted,
                            ZeroOrNegativeTtlIsInvalid, ConcurrentCallsFromManyThreads,
                            CloseMakesEveryCallUnavailable);

}  // namespace protean
