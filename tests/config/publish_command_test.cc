// `protean publish`: a payload that is not a JSON object and an event-store
// stream without a category are refused before anything is opened; a broker
// or event store inside the process (memory providers) is refused, since no
// server would see the message (tests/e2e/server_inbox_e2e_test.cc: the
// inbox; tests/e2e/cli_e2e_test.cc: real Redis and Message DB).
#include <gtest/gtest.h>

#include "adapters/memory/memory_broker.h"
#include "app/publish_request.h"
#include "core/config/domain_config.h"
#include "core/runtime/real_executor.h"
#include "tests/config/binary_util.h"
#include "tests/config/test_util.h"

namespace protean::cli {
namespace {

using config::testing::TempDir;
using testing::RunInProcess;
using testing::RunResult;

TEST(PublishCommandTest, RefusesBackendsInsideTheProcess) {
  TempDir dir;
  const std::string domain = dir.Write("domain.toml", "").string();
  RunResult broker = RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "orders",
                                   "--type", "OrderPlaced", "--data", R"({"order_id": "o-1"})"});
  EXPECT_EQ(broker.exit_code, 2);
  EXPECT_NE(broker.err.find("[brokers.default] provider is \"inline\""), std::string::npos)
      << broker.err;
  RunResult store = RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "order-o1",
                                  "--type", "OrderPlaced", "--event-store"});
  EXPECT_EQ(store.exit_code, 2);
  EXPECT_NE(store.err.find("[event_store] provider is \"memory\""), std::string::npos) << store.err;
}

// Protean's outbox rule (outbox_processor.py:637-645): with the lanes on, a
// priority strictly below the threshold goes to the backfill lane (the
// sender `protean publish` and `protean server --inbox` share; the binary's
// path against a real Redis: CliE2ETest.ServerConsumesTheBackfillLaneThatPublishFeeds).
TEST(PublishCommandTest, ALowPriorityGoesToTheBackfillLane) {
  RealClock clock;
  MemoryBroker broker(clock, "memory");
  EngineAdapters adapters;
  adapters.brokers = {{"default", &broker}};
  config::PriorityLanesConfig lanes;
  lanes.enabled = true;
  lanes.threshold = 0;
  auto send = [&](std::optional<int64_t> priority, const config::PriorityLanesConfig& l) {
    PublishRequest r;
    r.stream = "orders";
    r.type = "T";
    r.id = "3f1c2d4e-0000-4000-8000-000000000002";
    r.priority = priority;
    Result<PublishedAt> sent = SendPublishRequest(r, adapters, l, clock.Now());
    EXPECT_TRUE(sent.ok()) << sent.status().ToString();
    return sent.ok() ? sent->stream : std::string();
  };
  EXPECT_EQ(send(-50, lanes), "orders:backfill");
  EXPECT_EQ(send(0, lanes), "orders");
  EXPECT_EQ(send(std::nullopt, lanes), "orders");
  EXPECT_EQ(send(-100, config::PriorityLanesConfig{}), "orders");  // lanes off
  auto lane = broker.Range("orders:backfill", "-", "+", 10);
  ASSERT_TRUE(lane.ok());
  ASSERT_EQ(lane->size(), 1u);
  Result<Message> m = DecodeMessage("orders:backfill", (*lane)[0]);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->metadata.priority, -50);

  Result<PublishRequest> store =
      ParsePublishLine(R"({"stream": "order-1", "type": "T", "event_store": true, "priority": -1})",
                       PublishRequest{});
  EXPECT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("priority: only for broker streams"), std::string::npos)
      << store.status().ToString();
  RunResult flag = RunInProcess(
      {"publish", "--stream", "order-1", "--type", "T", "--event-store", "--priority", "-1"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("priority: only for broker streams"), std::string::npos) << flag.err;
}

TEST(PublishCommandTest, RefusesBadInputNamingIt) {
  TempDir dir;
  const std::string domain = dir.Write("domain.toml", "").string();
  RunResult data = RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "orders",
                                 "--type", "T", "--data", "[1, 2]"});
  EXPECT_EQ(data.exit_code, 2);
  EXPECT_EQ(data.err, "protean publish: error: data: expected a JSON object, got [1, 2]\n");
  RunResult stream = RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "orders",
                                   "--type", "T", "--event-store"});
  EXPECT_EQ(stream.exit_code, 2);
  EXPECT_NE(stream.err.find("\"category-id\""), std::string::npos) << stream.err;
  EXPECT_EQ(RunInProcess({"publish", "--stream", "orders"}).exit_code, 2);  // --type missing
}

}  // namespace
}  // namespace protean::cli
