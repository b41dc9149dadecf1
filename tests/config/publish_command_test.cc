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
