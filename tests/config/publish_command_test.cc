// `protean publish`: a payload that is not a JSON object and an event-store
// stream without a category are refused before anything is opened; a broker
// or event store inside the process (memory providers) is refused, since no
// server would see the message (tests/e2e/server_inbox_e2e_test.cc: the
// inbox; tests/e2e/cli_e2e_test.cc: real Redis and Message DB).
#include <gtest/gtest.h>

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
  EXPECT_NE(store.err.find("[event_store] provider is \"memory\""), std::string::npos)
      << store.err;
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
