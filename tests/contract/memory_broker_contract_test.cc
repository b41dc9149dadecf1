// The Broker contract (broker_contract.h) for MemoryBroker under both of its
// provider names, the list contract (list_broker_contract.h) for
// MemoryPubSubBroker, plus the backend-independent parts of core/broker.h: the
// stream id and DLQ codecs.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/memory/memory_broker.h"
#include "adapters/memory/memory_pubsub_broker.h"
#include "tests/contract/broker_contract.h"
#include "tests/contract/list_broker_contract.h"

namespace protean {
namespace {

BrokerBackend MemoryBrokerBackend() {
  return {.name = "memory",
          .make = [](Clock& clock) { return std::make_unique<MemoryBroker>(clock, "memory"); },
          .simulated_time = true};
}

// The same broker over a real clock: what test mode's `inline` provider is.
BrokerBackend InlineRealClockBackend() {
  return {.name = "inline",
          .make = [](Clock& clock) { return std::make_unique<MemoryBroker>(clock, "inline"); },
          .simulated_time = false};
}

// The memory twin of redis_pubsub (Protean's list).
ListBrokerBackend MemoryPubSubBackend() {
  return {.name = "memory",
          .make = [](Clock&) { return std::make_unique<MemoryPubSubBroker>(); },
          .simulated_time = true};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Memory, BrokerContractTest,
                         ::testing::Values(MemoryBrokerBackend(), InlineRealClockBackend()),
                         contract::BackendName());
INSTANTIATE_TEST_SUITE_P(Memory, ListBrokerContractTest, ::testing::Values(MemoryPubSubBackend()),
                         contract::BackendName());

namespace {

TEST(MemoryBrokerTest, ProviderNameAndCapabilities) {
  SimClock clock;
  MemoryBroker inline_broker(clock, "inline");
  EXPECT_EQ(inline_broker.provider(), "inline");
  const BrokerCapabilities caps = inline_broker.capabilities();
  EXPECT_TRUE(caps.consumer_groups);
  EXPECT_TRUE(caps.dlq);
  EXPECT_FALSE(caps.blocking_reads) << "callers poll";
  EXPECT_EQ(MemoryBroker(clock).provider(), "memory");
}

TEST(MemoryBrokerTest, ManyDeletionsKeepReadsAndLagCorrect) {
  // Enough tombstones to make the stream and PEL logs compact themselves.
  SimClock clock;
  MemoryBroker broker(clock);
  ASSERT_TRUE(broker.CreateGroup("s", "g", GroupStart::kBeginning).ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(*broker.Publish("s", {{"data", std::to_string(i)}}));
  ASSERT_EQ(broker.ReadNew("s", "g", "c", 500, Duration(0))->size(), 500u);
  std::vector<std::string> odd;
  for (int i = 1; i < 1000; i += 2) odd.push_back(ids[static_cast<size_t>(i)]);
  EXPECT_EQ(*broker.Delete("s", odd), 500);
  EXPECT_EQ(*broker.Ack("s", "g", odd), 250);
  auto rest = broker.ReadNew("s", "g", "c", 1000, Duration(0));
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 250u);
  EXPECT_EQ(rest->front().id, ids[500]);
  EXPECT_EQ(rest->back().id, ids[998]);
  // The top entry was deleted, so (as in Redis) the group never reaches the
  // stream's last id and its lag stays unknown until a new entry is read.
  EXPECT_EQ(*broker.Lag("s", "g"), std::nullopt);
  EXPECT_EQ(*broker.Length("s"), 500);
  auto pending = broker.Pending("s", "g", "", 2000);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->size(), 500u);  // 250 even ids read first + 250 read after
  auto range = broker.Range("s", ids[2], ids[6], 10);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->size(), 3u);
  ASSERT_TRUE(broker.Publish("s", {{"data", "new"}}).ok());
  EXPECT_EQ(broker.ReadNew("s", "g", "c", 10, Duration(0))->size(), 1u);
  EXPECT_EQ(*broker.Lag("s", "g"), std::optional<int64_t>(0));
}

// --- Codecs shared by every broker (core/broker.cc) ------------------------

TEST(BrokerCodecTest, StreamIdParsesAndFormats) {
  EXPECT_EQ(StreamId::Parse("1-2"), (StreamId{1, 2}));
  EXPECT_EQ(StreamId::Parse("5"), (StreamId{5, 0}));
  EXPECT_EQ(StreamId::Parse("0-0"), (StreamId{0, 0}));
  const std::string max = "18446744073709551615-18446744073709551615";
  ASSERT_TRUE(StreamId::Parse(max).has_value());
  EXPECT_EQ(StreamId::Parse(max)->ToString(), max);
  EXPECT_EQ((StreamId{1767225600000, 7}).ToString(), "1767225600000-7");
  for (const char* bad : {"", "-", "1-", "-1", "a-1", "1-a", "1-2-3", "+1-0", " 1-0", "1.5",
                          "18446744073709551616-0", "1-18446744073709551616", ">", "$"}) {
    EXPECT_FALSE(StreamId::Parse(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_LT((StreamId{1, 9}), (StreamId{2, 0}));
  EXPECT_LT((StreamId{1, 1}), (StreamId{1, 2}));
}

TEST(BrokerCodecTest, FindFieldReturnsTheFirstMatch) {
  const Fields fields = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  ASSERT_NE(FindField(fields, "a"), nullptr);
  EXPECT_EQ(*FindField(fields, "a"), "1");
  EXPECT_EQ(*FindField(fields, "b"), "2");
  EXPECT_EQ(FindField(fields, "c"), nullptr);
  EXPECT_EQ(FindField({}, "a"), nullptr);
}

// The DLQ codec's own cases are in tests/unit/dlq_codec_test.cc.

}  // namespace
}  // namespace protean
