// Rough throughput of publish -> read -> ack through RedisBroker against a
// raw pipelined hiredis loop on one connection. Disabled by default (it
// measures, it does not check); run it with
//   redis_contract_test --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
// with REDIS_URL set.
// The lead's Google Benchmark program is the real measurement.

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/real/redis_broker.h"
#include "adapters/real/redis_connection.h"
#include "core/runtime/real_executor.h"
#include "tests/contract/redis_test_env.h"

namespace protean {
namespace {

constexpr int kMessages = 20000;
constexpr int kBatch = 100;
const std::string kPayload(200, 'p');  // a small JSON-sized message

double PerSecond(int n, std::chrono::steady_clock::time_point start) {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return n / s;
}

class RedisThroughputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = redis_test::RedisSkipReason()) GTEST_SKIP() << *reason;
    stream_ = "protean-bench:" + redis_test::Token() + ":" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    if (stream_.empty()) return;
    auto admin = RedisConnection::Open(redis_test::TestOptions("bench-admin"));
    if (admin.ok()) (void)(*admin)->Command(RedisArgs{"DEL", stream_});
  }
  std::string stream_;
  RealClock clock_;
};

TEST_F(RedisThroughputTest, DISABLED_BrokerOneMessageAtATime) {
  RedisBroker broker(clock_, redis_test::TestOptions("bench"));
  ASSERT_TRUE(broker.CreateGroup(stream_, "g", GroupStart::kEnd).ok());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(broker.Publish(stream_, {{"data", kPayload}}).ok());
    auto read = broker.ReadNew(stream_, "g", "c", 1, Duration(0));
    ASSERT_TRUE(read.ok() && read->size() == 1);
    ASSERT_EQ(*broker.Ack(stream_, "g", {read->front().id}), 1);
  }
  std::printf("RedisBroker publish+read+ack, 1 at a time: %.0f msg/s\n",
              PerSecond(kMessages, start));
}

TEST_F(RedisThroughputTest, DISABLED_BrokerBatchedReads) {
  RedisBroker broker(clock_, redis_test::TestOptions("bench"));
  ASSERT_TRUE(broker.CreateGroup(stream_, "g", GroupStart::kEnd).ok());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(broker.Publish(stream_, {{"data", kPayload}}).ok());
  }
  const double publish_rate = PerSecond(kMessages, start);
  int done = 0;
  while (done < kMessages) {
    auto read = broker.ReadNew(stream_, "g", "c", kBatch, Duration(0));
    ASSERT_TRUE(read.ok() && !read->empty());
    std::vector<std::string> ids;
    for (const StreamEntry& e : *read) ids.push_back(e.id);
    ASSERT_EQ(*broker.Ack(stream_, "g", ids), static_cast<int64_t>(ids.size()));
    done += static_cast<int>(ids.size());
  }
  std::printf(
      "RedisBroker publish (1 per call): %.0f msg/s; publish + read/ack by %d: %.0f msg/s\n",
      publish_rate, kBatch, PerSecond(kMessages, start));
}

TEST_F(RedisThroughputTest, DISABLED_RawPipelinedHiredis) {
  auto connection = RedisConnection::Open(redis_test::TestOptions("bench-raw"));
  ASSERT_TRUE(connection.ok());
  RedisConnection& c = **connection;
  ASSERT_TRUE(c.Command(RedisArgs{"XGROUP", "CREATE", stream_, "g", "$", "MKSTREAM"}).ok());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; i += kBatch) {
    std::vector<RedisArgs> adds(kBatch, RedisArgs{"XADD", stream_, "*", "data", kPayload});
    auto replies = c.Pipeline(adds);
    ASSERT_TRUE(replies.ok());
  }
  const double publish_rate = PerSecond(kMessages, start);
  int done = 0;
  while (done < kMessages) {
    auto read = c.Command(RedisArgs{"XREADGROUP", "GROUP", "g", "c", "COUNT",
                                    std::to_string(kBatch), "STREAMS", stream_, ">"});
    ASSERT_TRUE(read.ok());
    const redisReply* entries = (*read)->element[0]->element[1];
    RedisArgs ack{"XACK", stream_, "g"};
    for (size_t i = 0; i < entries->elements; ++i) {
      ack.Add(std::string_view(entries->element[i]->element[0]->str,
                               entries->element[i]->element[0]->len));
    }
    ASSERT_TRUE(c.Command(ack).ok());
    done += static_cast<int>(entries->elements);
  }
  std::printf("raw hiredis XADD pipelined by %d: %.0f msg/s; + XREADGROUP/XACK by %d: %.0f msg/s\n",
              kBatch, publish_rate, kBatch, PerSecond(kMessages, start));
}

TEST_F(RedisThroughputTest, DISABLED_RawOneCommandAtATime) {
  // The same round trips as BrokerOneMessageAtATime without the adapter:
  // the difference is the adapter's own cost (pool, argument copies, parsing).
  auto connection = RedisConnection::Open(redis_test::TestOptions("bench-raw"));
  ASSERT_TRUE(connection.ok());
  RedisConnection& c = **connection;
  ASSERT_TRUE(c.Command(RedisArgs{"XGROUP", "CREATE", stream_, "g", "$", "MKSTREAM"}).ok());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) {
    auto id = c.Command(RedisArgs{"XADD", stream_, "*", "data", kPayload});
    ASSERT_TRUE(id.ok());
    auto read = c.Command(
        RedisArgs{"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", stream_, ">"});
    ASSERT_TRUE(read.ok());
    ASSERT_TRUE(
        c.Command(RedisArgs{"XACK", stream_, "g"}.Add(std::string_view((*id)->str, (*id)->len)))
            .ok());
  }
  std::printf("raw hiredis XADD+XREADGROUP+XACK, 1 at a time: %.0f msg/s\n",
              PerSecond(kMessages, start));
}

}  // namespace
}  // namespace protean
