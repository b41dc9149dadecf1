// The Broker and Cache contracts (broker_contract.h, cache_contract.h) for
// RedisBroker and RedisCache against the server in REDIS_URL; every case
// skips with a reason when it is not set. What the suites cannot cover
// (pub/sub, connection loss, DLQ atomicity, throughput) is in
// redis_adapter_test.cc.

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "adapters/real/redis_broker.h"
#include "adapters/real/redis_cache.h"
#include "tests/contract/broker_contract.h"
#include "tests/contract/cache_contract.h"
#include "tests/contract/redis_test_env.h"

namespace protean {
namespace broker_contract {

struct RedisBrokerBackend {
  static constexpr bool kSimulatedTime = false;
  static std::optional<std::string> SkipReason() { return redis_test::RedisSkipReason(); }
  static std::unique_ptr<Broker> Make(Clock& clock) {
    return std::make_unique<RedisBroker>(clock, redis_test::TestOptions("broker-contract"));
  }
};

// A pool of one: every call waits for the previous one's connection, which
// the concurrent case exercises.
struct RedisBrokerSingleConnectionBackend {
  static constexpr bool kSimulatedTime = false;
  static std::optional<std::string> SkipReason() { return redis_test::RedisSkipReason(); }
  static std::unique_ptr<Broker> Make(Clock& clock) {
    RedisOptions options = redis_test::TestOptions("broker-contract-1");
    options.max_connections = 1;
    return std::make_unique<RedisBroker>(clock, options);
  }
};

using RedisBrokerBackends =
    ::testing::Types<RedisBrokerBackend, RedisBrokerSingleConnectionBackend>;
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, BrokerContractTest, RedisBrokerBackends);

}  // namespace broker_contract

namespace {

struct RedisCacheBackend {
  static constexpr bool kSimulatedTime = false;
  static std::optional<std::string> SkipReason() { return redis_test::RedisSkipReason(); }
  static std::unique_ptr<Cache> Make(Clock& clock) {
    // The prefix is exercised too: keys are "protean-ct:ct:<Case>:...".
    return std::make_unique<RedisCache>(clock, redis_test::TestOptions("cache-contract"),
                                        "protean-ct:");
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Redis, CacheContractTest, ::testing::Types<RedisCacheBackend>);

}  // namespace protean
