// The concurrency checker over hand-built histories: the calls the handler
// ledger reports (handler_call: start t, declared duration value) against the
// declared concurrency and ordered_by, never the engine's lanes.

#include <gtest/gtest.h>

#include "harness/checkers.h"
#include "tests/harness/checker_test_util.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;
using json = nlohmann::ordered_json;

// A call of `id` on w0 lasting `ms`, at the builder's current time.
HistoryBuilder& Call(HistoryBuilder& b, const std::string& id, int64_t ms,
                     const std::string& sub = "Billing") {
  return b.Raw({{"event", "handler_call"},
                {"instance", "w0"},
                {"subscription", sub},
                {"message_id", id},
                {"attempt", 1},
                {"outcome", "ok"},
                {"value", ms * 1000}});
}

TEST(ConcurrencyCheckerTest, CallsWithinTheDeclaredConcurrencyPass) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", {{"concurrency", 2}}).Start("w0");
  b.Publish("m1").Publish("m2").Publish("m3");
  Call(b, "m1", 100);
  Call(b, "m2", 100);
  b.At(100);
  Call(b, "m3", 100);  // starts as m1 and m2 end
  EXPECT_PASSES(CheckConcurrency(b.Build()));
}

TEST(ConcurrencyCheckerTest, OneCallMoreThanDeclaredFails) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", {{"concurrency", 2}}).Start("w0");
  b.Publish("m1").Publish("m2").Publish("m3");
  Call(b, "m1", 100);
  Call(b, "m2", 100);
  b.At(50);
  Call(b, "m3", 100);
  EXPECT_FAILS_WITH(CheckConcurrency(b.Build()),
                    "3 calls of Billing at once on w0, declared concurrency 2");
}

TEST(ConcurrencyCheckerTest, ATimedOutCallEndsAtItsBudget) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", {{"handler_timeout_seconds", 1}}).Start("w0");
  b.Publish("m1").Publish("m2");
  Call(b, "m1", 5000);  // keeps running on its worker; the lane moved on at 1 s
  b.At(1000);
  Call(b, "m2", 100);
  EXPECT_PASSES(CheckConcurrency(b.Build()));
}

// Messages with payloads {"order_id": ...}.
HistoryBuilder Ordered() {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", {{"concurrency", 4}, {"ordered_by", "order_id"}}).Start("w0");
  for (const auto& [id, order] : std::vector<std::pair<std::string, std::string>>{
           {"m1", "o-1"}, {"m2", "o-1"}, {"m3", "o-2"}}) {
    b.Raw({{"event", "published"},
           {"stream", "orders"},
           {"message_id", id},
           {"entry_id", id + "-0"},
           {"detail", "Event"},
           {"outcome", "stream"},
           {"payload", "{\"order_id\": \"" + order + "\"}"}});
  }
  return b;
}

TEST(ConcurrencyCheckerTest, OtherKeysRunInParallelOneKeyInTurn) {
  HistoryBuilder b = Ordered();
  Call(b, "m1", 100);
  Call(b, "m3", 100);
  b.At(100);
  Call(b, "m2", 100);
  EXPECT_PASSES(CheckConcurrency(b.Build()));
}

TEST(ConcurrencyCheckerTest, TwoCallsForOneKeyAtOnceFail) {
  HistoryBuilder b = Ordered();
  Call(b, "m1", 100);
  b.At(50);
  Call(b, "m2", 100);
  EXPECT_FAILS_WITH(CheckConcurrency(b.Build()), "2 calls for order_id = o-1 at once on w0");
}

TEST(ConcurrencyCheckerTest, AKeysMessagesOutOfPublishOrderFail) {
  HistoryBuilder b = Ordered();
  Call(b, "m2", 100);
  b.At(100);
  Call(b, "m1", 100);
  EXPECT_FAILS_WITH(CheckConcurrency(b.Build()),
                    "order_id = o-1: message m2 started on w0 before m1");
}

TEST(ConcurrencyCheckerTest, ConcurrentMinCountsTheMostCallsAtOnce) {
  HistoryBuilder b;
  b.StreamSub("Billing", "orders", {{"concurrency", 4}}).Start("w0").Expect("concurrent_min", 3);
  b.Publish("m1").Publish("m2");
  Call(b, "m1", 100);
  Call(b, "m2", 100);
  EXPECT_FAILS_WITH(CheckExpectations(b.Build()), "concurrent_min");
}

}  // namespace
}  // namespace protean::harness
