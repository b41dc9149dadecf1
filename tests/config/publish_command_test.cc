// `protean publish`: one message to the default broker or the event store;
// a payload that is not a JSON object and an event-store stream without a
// category are refused before anything is opened.
#include <gtest/gtest.h>

#include "tests/config/binary_util.h"
#include "tests/config/test_util.h"

namespace protean::cli {
namespace {

using config::testing::TempDir;
using testing::RunInProcess;
using testing::RunResult;

TEST(PublishCommandTest, PublishesToTheBrokerAndTheEventStore) {
  TempDir dir;
  const std::string domain = dir.Write("domain.toml", "").string();
  RunResult broker = RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "orders",
                                   "--type", "OrderPlaced", "--data", R"({"order_id": "o-1"})",
                                   "--id", "3f1c2d4e-0000-4000-8000-000000000001"});
  EXPECT_EQ(broker.exit_code, 0) << broker.err;
  EXPECT_EQ(broker.out.rfind("published 3f1c2d4e-0000-4000-8000-000000000001 to orders (entry ", 0),
            0u)
      << broker.out;
  RunResult store = RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "order-o1",
                                  "--type", "OrderPlaced", "--event-store"});
  EXPECT_EQ(store.exit_code, 0) << store.err;
  EXPECT_NE(store.out.find(" to order-o1 (position 0)"), std::string::npos) << store.out;
}

// Protean's outbox rule (outbox_processor.py:637-645): with the lanes on, a
// priority strictly below the threshold goes to the backfill lane.
TEST(PublishCommandTest, ALowPriorityGoesToTheBackfillLane) {
  TempDir dir;
  const std::string domain =
      dir.Write("domain.toml", "[server.priority_lanes]\nenabled = true\nthreshold = 0\n").string();
  auto publish = [&](const char* priority) {
    return RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "orders", "--type", "T",
                         "--id", "3f1c2d4e-0000-4000-8000-000000000002", "--priority", priority});
  };
  RunResult low = publish("-50");
  EXPECT_EQ(low.exit_code, 0) << low.err;
  EXPECT_NE(low.out.find(" to orders:backfill (entry "), std::string::npos) << low.out;
  RunResult normal = publish("0");
  EXPECT_EQ(normal.exit_code, 0) << normal.err;
  EXPECT_NE(normal.out.find(" to orders (entry "), std::string::npos) << normal.out;
  const std::string off = dir.Write("off.toml", "").string();
  RunResult lanes_off = RunInProcess({"publish", "--domain", off.c_str(), "--stream", "orders",
                                      "--type", "T", "--priority", "-100"});
  EXPECT_NE(lanes_off.out.find(" to orders (entry "), std::string::npos) << lanes_off.out;
  RunResult store = RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "order-1",
                                  "--type", "T", "--event-store", "--priority", "-1"});
  EXPECT_EQ(store.exit_code, 2);
  EXPECT_NE(store.err.find("--priority: only for broker streams"), std::string::npos) << store.err;
}

TEST(PublishCommandTest, RefusesBadInputNamingIt) {
  TempDir dir;
  const std::string domain = dir.Write("domain.toml", "").string();
  RunResult data = RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "orders",
                                 "--type", "T", "--data", "[1, 2]"});
  EXPECT_EQ(data.exit_code, 2);
  EXPECT_EQ(data.err, "protean publish: error: --data: expected a JSON object, got [1, 2]\n");
  RunResult stream = RunInProcess({"publish", "--domain", domain.c_str(), "--stream", "orders",
                                   "--type", "T", "--event-store"});
  EXPECT_EQ(stream.exit_code, 2);
  EXPECT_NE(stream.err.find("\"category-id\""), std::string::npos) << stream.err;
  EXPECT_EQ(RunInProcess({"publish", "--stream", "orders"}).exit_code, 2);  // --type missing
}

}  // namespace
}  // namespace protean::cli
