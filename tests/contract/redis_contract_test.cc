// The Broker, list and Cache contracts (broker_contract.h,
// list_broker_contract.h, cache_contract.h) for RedisBroker,
// RedisPubSubBroker and RedisCache against the server in REDIS_URL; every case
// skips with a reason when it is not set. What the suites cannot cover
// (connection loss, DLQ atomicity, throughput) is in
// redis_adapter_test.cc.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "adapters/real/redis_broker.h"
#include "adapters/real/redis_cache.h"
#include "adapters/real/redis_pubsub_broker.h"
#include "tests/contract/broker_contract.h"
#include "tests/contract/cache_contract.h"
#include "tests/contract/list_broker_contract.h"
#include "tests/contract/redis_test_env.h"

namespace protean {
namespace {

BrokerBackend RedisBrokerBackend() {
  return {.name = "pool",
          .make =
              [](Clock& clock) {
                return std::make_unique<RedisBroker>(clock,
                                                     redis_test::TestOptions("broker-contract"));
              },
          .simulated_time = false,
          .skip_reason = redis_test::RedisSkipReason};
}

// A pool of one: every call waits for the previous one's connection, which
// the concurrent case exercises.
BrokerBackend RedisBrokerSingleConnectionBackend() {
  return {.name = "single_connection",
          .make =
              [](Clock& clock) {
                RedisOptions options = redis_test::TestOptions("broker-contract-1");
                options.max_connections = 1;
                return std::make_unique<RedisBroker>(clock, options);
              },
          .simulated_time = false,
          .skip_reason = redis_test::RedisSkipReason};
}

// Provider redis_pubsub: Protean's list.
ListBrokerBackend RedisPubSubBackend() {
  return {
      .name = "redis",
      .make =
          [](Clock&) {
            return std::make_unique<RedisPubSubBroker>(redis_test::TestOptions("list-contract"));
          },
      .simulated_time = false,
      .skip_reason = redis_test::RedisSkipReason};
}

CacheBackend RedisCacheBackend() {
  return {.name = "redis",
          .make =
              [](Clock& clock) {
                // The prefix is exercised too: keys are "protean-ct:ct:<Case>:...".
                return std::make_unique<RedisCache>(
                    clock, redis_test::TestOptions("cache-contract"), "protean-ct:");
              },
          .simulated_time = false,
          .skip_reason = redis_test::RedisSkipReason};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Redis, BrokerContractTest,
                         ::testing::Values(RedisBrokerBackend(),
                                           RedisBrokerSingleConnectionBackend()),
                         contract::BackendName());
INSTANTIATE_TEST_SUITE_P(Redis, ListBrokerContractTest, ::testing::Values(RedisPubSubBackend()),
                         contract::BackendName());
INSTANTIATE_TEST_SUITE_P(Redis, CacheContractTest, ::testing::Values(RedisCacheBackend()),
                         contract::BackendName());

}  // namespace protean
