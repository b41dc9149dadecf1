// The priority_lanes checker over hand-built histories: with
// [server.priority_lanes] declared on, no backfill message is read while a
// primary one waited unread (beyond the read's possible block), each lane's
// dead letters sit in its own DLQ, and a subscription attempts only messages
// of its own streams.

#include <gtest/gtest.h>

#include "harness/checkers.h"
#include "tests/harness/checker_test_util.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;
using json = nlohmann::ordered_json;

HistoryBuilder Lanes(bool enabled = true, const std::string& mode = "memory") {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders").Header("mode", mode);
  json server = json::object();
  if (enabled) server["priority_lanes"] = {{"enabled", true}};
  b.Header("declared", {{"server", server}, {"handlers", {{"Billing", {{"stream", "orders"}}}}}});
  b.Start("w0");
  return b;
}

TEST(LanesCheckerTest, PrimaryReadFirstPasses) {
  HistoryBuilder b = Lanes();
  b.Publish("b1", "orders:backfill").Publish("b2", "orders:backfill").Publish("p1", "orders");
  b.At(1).Deliver("w0", "Billing", "p1").Attempt("w0", "Billing", "p1");
  b.At(5).Deliver("w0", "Billing", "b1").Attempt("w0", "Billing", "b1");
  // Published at the instant of a backfill read: not necessarily seen by it.
  b.At(10).Publish("p2", "orders").Deliver("w0", "Billing", "b2");
  b.At(20).Deliver("w0", "Billing", "p2");
  EXPECT_PASSES(CheckLanes(b.Build()));
}

TEST(LanesCheckerTest, BackfillReadWhileAPrimaryMessageWaitedFails) {
  HistoryBuilder b = Lanes();
  b.Publish("p1", "orders").Publish("b1", "orders:backfill");
  b.At(10).Deliver("w0", "Billing", "b1");
  b.At(20).Deliver("w0", "Billing", "p1");
  EXPECT_FAILS_WITH(CheckLanes(b.Build()), "while primary message p1, published at");
}

TEST(LanesCheckerTest, APrimaryMessageNeverReadCountsAsWaiting) {
  HistoryBuilder b = Lanes();
  b.Publish("p1", "orders").Publish("b1", "orders:backfill");
  b.At(10).Deliver("w0", "Billing", "b1");
  EXPECT_FAILS_WITH(CheckLanes(b.Build()), "was still unread in orders");
}

TEST(LanesCheckerTest, AgainstRealServicesTheBackfillBlockIsAllowed) {
  HistoryBuilder ok = Lanes(true, "test");
  ok.Publish("b1", "orders:backfill").At(100).Publish("p1", "orders");
  ok.At(1000).Deliver("w0", "Billing", "b1");  // a read blocked since before p1
  ok.At(1010).Deliver("w0", "Billing", "p1");
  EXPECT_PASSES(CheckLanes(ok.Build()));

  HistoryBuilder late = Lanes(true, "test");
  late.Publish("p1", "orders").Publish("b1", "orders:backfill");
  late.At(1500).Deliver("w0", "Billing", "b1");  // beyond 1 s + the slack
  late.At(1510).Deliver("w0", "Billing", "p1");
  EXPECT_FAILS_WITH(CheckLanes(late.Build()), "backfill message delivered from orders:backfill");
}

TEST(LanesCheckerTest, EachLaneDeadLettersIntoItsOwnDlq) {
  auto final_dlq = [](HistoryBuilder& b, const std::string& stream, const std::string& id) {
    b.Raw({{"event", "final_dlq"},
           {"stream", stream},
           {"message_id", id},
           {"entry_id", "9-0"},
           {"subscription", "Billing"},
           {"attempt", 3}});
  };
  HistoryBuilder ok = Lanes();
  ok.Publish("b1", "orders:backfill").Publish("p1", "orders");
  final_dlq(ok, "orders:backfill", "b1");
  final_dlq(ok, "orders", "p1");
  EXPECT_PASSES(CheckLanes(ok.Build()));

  HistoryBuilder wrong = Lanes();
  wrong.Publish("b1", "orders:backfill");
  final_dlq(wrong, "orders", "b1");
  EXPECT_FAILS_WITH(CheckLanes(wrong.Build()),
                    "published to orders:backfill but dead-lettered in orders:dlq");
}

TEST(LanesCheckerTest, WithoutLanesTheBackfillStreamIsNotTheSubscriptions) {
  HistoryBuilder b = Lanes(false);
  b.Publish("b1", "orders:backfill");
  b.At(10).Deliver("w0", "Billing", "b1").Attempt("w0", "Billing", "b1");
  EXPECT_FAILS_WITH(CheckLanes(b.Build()), "attempted a message published to orders:backfill");
}

}  // namespace
}  // namespace protean::harness
