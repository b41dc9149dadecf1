// no_loss, duplicates and scaling over hand-built histories.

#include <gtest/gtest.h>

#include "harness/checkers.h"
#include "tests/harness/checker_test_util.h"
#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;

HistoryBuilder Billing() { return std::move(HistoryBuilder().StreamSub("Billing", "orders")); }

// --- no_loss -------------------------------------------------------------------

TEST(NoLossTest, EveryFinalStateCounts) {
  History h = Billing()
                  .Start("w0")
                  .Publish("m-ok")
                  .Publish("m-dlq")
                  .Publish("m-pending")
                  .Handled("w0", "Billing", "m-ok")
                  .Deliver("w0", "Billing", "m-dlq")
                  .Attempt("w0", "Billing", "m-dlq", 1, "undecodable")
                  .DlqMoved("w0", "Billing", "m-dlq", 1, "undecodable: no type")
                  .Deliver("w0", "Billing", "m-pending")
                  .At(100)
                  .FinalPending("Billing", "m-pending")
                  .Build();
  EXPECT_PASSES(CheckNoLoss(h));
}

TEST(NoLossTest, APublishedMessageWithoutFinalStateIsLost) {
  History h = Billing()
                  .Start("w0")
                  .At(1500)
                  .Publish("3f2a1b2c-aaaa")
                  .Deliver("w0", "Billing", "3f2a1b2c-aaaa")
                  .At(9000)
                  .Build();
  const CheckResult r = CheckNoLoss(h);
  ASSERT_EQ(r.violations.size(), 1u) << testing::Describe(r);
  EXPECT_EQ(r.violations[0],
            "t=+1.500s Billing msg 3f2a1b2c: published to orders but never handled, "
            "dead-lettered, dropped nor pending at the end");
}

TEST(NoLossTest, EverySubscriptionOfTheStreamMustHandleIt) {
  History h = Billing()
                  .StreamSub("Audit", "orders")
                  .StreamSub("Other", "payments")
                  .Start("w0")
                  .Publish("m1")
                  .Handled("w0", "Billing", "m1")
                  .Build();
  const CheckResult r = CheckNoLoss(h);
  ASSERT_EQ(r.violations.size(), 1u) << testing::Describe(r);
  EXPECT_NE(r.violations[0].find("Audit msg m1"), std::string::npos);
}

TEST(NoLossTest, UnreadMessagesWaitWhenNoInstanceIsLeft) {
  History h = Billing()
                  .Start("w0")
                  .At(10)
                  .Signal("w0")
                  .Step("w0", "drain_done")
                  .Closed("w0")
                  .At(20)
                  .Publish("m1")
                  .Build();
  EXPECT_PASSES(CheckNoLoss(h));
}

TEST(NoLossTest, AckWithoutHandlingIsALoss) {
  History h = Billing()
                  .Start("w0")
                  .Publish("m1")
                  .Deliver("w0", "Billing", "m1")
                  .Attempt("w0", "Billing", "m1", 1, "failed")
                  .Acked("w0", "Billing", "m1")
                  .FinalPending("Billing", "m1")
                  .Build();
  EXPECT_FAILS_WITH(CheckNoLoss(h), "acked without a successful handling");
}

TEST(NoLossTest, EventStoreMessagesNeedOneHandling) {
  auto base = [] {
    return std::move(HistoryBuilder()
                         .EventStoreSub("Projector", "account")
                         .Start("w0")
                         .PublishEs("e1", "account-1"));
  };
  History ok = base().Attempt("w0", "Projector", "e1").Build();
  EXPECT_PASSES(CheckNoLoss(ok));
  History lost = base().At(50).Build();
  EXPECT_FAILS_WITH(CheckNoLoss(lost),
                    "Projector msg e1: published to account-1 but never handled");
}

// --- duplicates -----------------------------------------------------------------

TEST(DuplicatesTest, ASecondHandlingAfterAClaimIsAllowed) {
  History h = Billing()
                  .Start("w0")
                  .Start("w1")
                  .Publish("m1")
                  .Deliver("w0", "Billing", "m1")
                  .Attempt("w0", "Billing", "m1")
                  .At(10)
                  .Crash("w0")
                  .At(70'000)
                  .Claimed("w1", "Billing", "m1", 2)
                  .Attempt("w1", "Billing", "m1", 2)
                  .Acked("w1", "Billing", "m1", 2)
                  .Build();
  EXPECT_PASSES(CheckDuplicates(h));
}

TEST(DuplicatesTest, TwoHandlingsWithoutAClaimFail) {
  History h = Billing()
                  .Start("w0")
                  .Publish("m1")
                  .Handled("w0", "Billing", "m1")
                  .At(2000)
                  .Attempt("w0", "Billing", "m1")
                  .Build();
  const CheckResult r = CheckDuplicates(h);
  ASSERT_EQ(r.violations.size(), 1u) << testing::Describe(r);
  EXPECT_EQ(r.violations[0].rfind("t=+2.000s w0 Billing msg m1: handled successfully again", 0), 0u)
      << r.violations[0];
}

TEST(DuplicatesTest, ALostAckWindowJustifiesARedelivery) {
  History h = Billing()
                  .Start("w0")
                  .Publish("m1")
                  .Fault(true, "lost_ack", "w0")
                  .Deliver("w0", "Billing", "m1")
                  .Attempt("w0", "Billing", "m1")
                  .At(100)
                  .Fault(false, "lost_ack", "w0")
                  .At(200)
                  .Attempt("w0", "Billing", "m1", 2)
                  .Build();
  EXPECT_PASSES(CheckDuplicates(h));
}

TEST(DuplicatesTest, TheCountRespectsExpectBounds) {
  auto history = [](const char* key, int64_t value) {
    return Billing()
        .Expect(key, value)
        .Start("w0")
        .Publish("m1")
        .Handled("w0", "Billing", "m1")
        .At(60'000)
        .Claimed("w0", "Billing", "m1", 2)
        .Attempt("w0", "Billing", "m1", 2)
        .Build();
  };
  EXPECT_PASSES(CheckDuplicates(history("duplicates_max", 1)));
  EXPECT_FAILS_WITH(CheckDuplicates(history("duplicates_max", 0)),
                    "expect.duplicates_max = 0, got 1");
  EXPECT_PASSES(CheckDuplicates(history("duplicates_min", 1)));
  EXPECT_FAILS_WITH(CheckDuplicates(history("duplicates_min", 2)),
                    "expect.duplicates_min = 2, got 1");
}

TEST(DuplicatesTest, EventStoreRehandlesOnlyAfterACrashRestart) {
  auto base = [] {
    return std::move(HistoryBuilder()
                         .EventStoreSub("Projector", "account")
                         .Start("w0")
                         .PublishEs("e1")
                         .Attempt("w0", "Projector", "e1"));
  };
  History restart =
      base().At(10).Crash("w0").At(20).Start("w0").Attempt("w0", "Projector", "e1").Build();
  EXPECT_PASSES(CheckDuplicates(restart));
  History same_run = base().At(20).Attempt("w0", "Projector", "e1").Build();
  EXPECT_FAILS_WITH(CheckDuplicates(same_run), "within one run");
}

TEST(DuplicatesTest, EventStoreInstancesEachHandlingIsNoDuplicate) {
  History h = HistoryBuilder()
                  .EventStoreSub("Projector", "account")
                  .Start("w0")
                  .Start("w1")
                  .PublishEs("e1")
                  .Attempt("w0", "Projector", "e1")
                  .Attempt("w1", "Projector", "e1")
                  .Expect("duplicates_max", 0)
                  .Build();
  EXPECT_PASSES(CheckDuplicates(h));
}

// --- scaling ---------------------------------------------------------------------

TEST(ScalingTest, EachStreamMessageHasOneConsumer) {
  History h = Billing()
                  .Start("w0")
                  .Start("w1")
                  .Publish("m1")
                  .Publish("m2")
                  .Handled("w0", "Billing", "m1")
                  .Handled("w1", "Billing", "m2")
                  .Build();
  EXPECT_PASSES(CheckScaling(h));
}

TEST(ScalingTest, AMessageHandledByTwoInstancesWithoutAClaimFails) {
  History h = Billing()
                  .Start("w0")
                  .Start("w1")
                  .Publish("m1")
                  .Handled("w0", "Billing", "m1")
                  .Handled("w1", "Billing", "m1")
                  .Build();
  EXPECT_FAILS_WITH(CheckScaling(h), "on w1 as well as on w0 without claiming it");
}

TEST(ScalingTest, AClaimHandsTheMessageToAnotherInstance) {
  History h = Billing()
                  .Start("w0")
                  .Start("w1")
                  .Publish("m1")
                  .Deliver("w0", "Billing", "m1")
                  .At(10)
                  .Crash("w0")
                  .At(60'000)
                  .Claimed("w1", "Billing", "m1", 2)
                  .Attempt("w1", "Billing", "m1", 2)
                  .Build();
  EXPECT_PASSES(CheckScaling(h));
}

TEST(ScalingTest, SpreadMinFraction) {
  auto history = [](double fraction, int on_w1) {
    HistoryBuilder b = Billing();
    b.Expect("spread_min_fraction", fraction).Start("w0").Start("w1");
    for (int i = 0; i < 10; ++i) {
      const std::string id = "m" + std::to_string(i);
      b.Publish(id).Handled(i < on_w1 ? "w1" : "w0", "Billing", id);
    }
    return b.Build();
  };
  EXPECT_PASSES(CheckScaling(history(0.5, 5)));
  EXPECT_PASSES(CheckScaling(history(0.5, 3)));  // 3 >= 0.5 * 10 / 2 = 2.5
  EXPECT_FAILS_WITH(CheckScaling(history(0.5, 2)), "w1 handled 2 of 10 stream messages");
}

TEST(ScalingTest, UnpartitionedEventStoreInstancesSeeEveryMessage) {
  auto base = [] {
    return std::move(HistoryBuilder()
                         .EventStoreSub("Projector", "account")
                         .Start("w0")
                         .Start("w1")
                         .PublishEs("e1", "account-1")
                         .PublishEs("e2", "account-2")
                         .Attempt("w0", "Projector", "e1")
                         .Attempt("w0", "Projector", "e2")
                         .Attempt("w1", "Projector", "e1"));
  };
  History all = base().Attempt("w1", "Projector", "e2").Build();
  EXPECT_PASSES(CheckScaling(all));
  History missing = base().Build();
  EXPECT_FAILS_WITH(CheckScaling(missing), "w1 Projector msg e2: never handled by w1");
}

TEST(ScalingTest, PartitionedEventStoreMessagesHaveExactlyOneMember) {
  auto base = [] {
    return std::move(HistoryBuilder()
                         .EventStoreSub("Projector", "account")
                         .Instance("w0", 0, 2)
                         .Instance("w1", 1, 2)
                         .Start("w0")
                         .Start("w1")
                         .PublishEs("e1", "account-1")
                         .PublishEs("e2", "account-2")
                         .Attempt("w0", "Projector", "e1"));
  };
  History split = base().Attempt("w1", "Projector", "e2").Build();
  EXPECT_PASSES(CheckScaling(split));
  History both = base().Attempt("w1", "Projector", "e2").Attempt("w1", "Projector", "e1").Build();
  EXPECT_FAILS_WITH(CheckScaling(both), "belongs to exactly one member");
  History none = base().Build();
  EXPECT_FAILS_WITH(CheckScaling(none), "msg e2: handled by no consumer-group member");
}

}  // namespace
}  // namespace protean::harness
