// protean::testing::DomainTest and MockHandler in memory mode, over
// tests/sdk/fixtures/domain.toml: the simulated clock moves only in
// RunUntilIdle / AdvanceTime, a mock's answers decide retries and the DLQ,
// a C++ handler of the registrar runs where no mock replaces it, injected
// handler faults fail or slow the attempts of their window.
#include <atomic>

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "testing/domain_test.h"

namespace protean::testing {
namespace {

using ::testing::Return;

const std::string kDomain = PROTEAN_SOURCE_DIR "/tests/sdk/fixtures/domain.toml";

// These cases are memory-mode ones whatever PROTEAN_ENV says.
const bool kMemoryMode = (SetTestEnv(TestEnv::kMemory), true);

std::atomic<int> ledger_calls{0};

void RegisterHandlers(HandlerCatalog& catalog) {
  catalog.AddHandler("Billing",
                     [](const Message&, HandlerContext&) { return HandlerResult::Ok(); });
  catalog.AddHandler("Ledger", [](const Message& m, HandlerContext&) {
    ++ledger_calls;
    return m.type == "Garbled" ? HandlerResult::Undecodable("cannot read") : HandlerResult::Ok();
  });
}

class BillingTest : public DomainTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kMemoryMode);
    UseMock("Billing", billing_);
    Open(kDomain, RegisterHandlers);
  }
  MockHandler billing_;
};

TEST_F(BillingTest, ThreeFailedAttemptsDeadLetter) {
  EXPECT_CALL(billing_, Handle(HasType("OrderPlaced")))
      .Times(3)
      .WillRepeatedly(Return(Retryable("timeout")));
  Publish("orders", "OrderPlaced", R"({"order_id": "o-1"})");
  RunUntilIdle();
  AdvanceTime(Seconds(5));
  EXPECT_EQ(Attempts("Billing"), 3);
  EXPECT_EQ(Retried("Billing"), 2);
  EXPECT_EQ(DeadLettered("Billing"), 1);
  EXPECT_EQ(Handled("Billing"), 0);
}

TEST_F(BillingTest, RunUntilIdleDoesNotSkipTheRetryDelay) {
  EXPECT_CALL(billing_, Handle(HasAttempt(1))).WillOnce(Return(Retryable("timeout")));
  EXPECT_CALL(billing_, Handle(HasAttempt(2))).WillOnce(Return(Ok()));
  Publish("orders", "OrderPlaced");
  RunUntilIdle();
  EXPECT_EQ(Attempts("Billing"), 1);  // the retry waits for its 1 s delay
  EXPECT_EQ(Handled("Billing"), 0);
  AdvanceTime(Seconds(5));
  EXPECT_EQ(Attempts("Billing"), 2);
  EXPECT_EQ(Handled("Billing"), 1);
  EXPECT_EQ(Retried("Billing"), 1);
}

class FaultTest : public DomainTest {
 protected:
  MockHandler billing_;
};

TEST_F(FaultTest, HandlerErrorsWindowFailsAttemptsBeforeTheFunction) {
  UseMock("Billing", billing_);
  InjectHandlerErrors("Billing", Millis(0), Millis(1500));  // attempts at 0 s and 1 s fail
  Open(kDomain, RegisterHandlers);
  EXPECT_CALL(billing_, Handle(HasAttempt(3))).WillOnce(Return(Ok()));
  Publish("orders", "OrderPlaced");
  RunUntilIdle();
  AdvanceTime(Seconds(5));
  EXPECT_EQ(Attempts("Billing"), 3);
  EXPECT_EQ(Handled("Billing"), 1);
}

TEST_F(FaultTest, HandlerSlowWindowTimesAttemptsOut) {
  UseMock("Billing", billing_);
  InjectHandlerSlow("Billing", Millis(0), Seconds(60), Seconds(5));  // past the 2 s budget
  Open(kDomain, RegisterHandlers);
  EXPECT_CALL(billing_, Handle(HasType("OrderPlaced"))).Times(3);
  Publish("orders", "OrderPlaced");
  RunUntilIdle();
  AdvanceTime(Seconds(30));
  EXPECT_EQ(DeadLettered("Billing"), 1);
}

TEST_F(FaultTest, FaultOnAnUnknownHandlerFailsOpen) {
  InjectHandlerErrors("Biling", Millis(0), Seconds(1));
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    Open(kDomain, RegisterHandlers);
  }
  ASSERT_EQ(failures.size(), 1);
  EXPECT_TRUE(failures.GetTestPartResult(0).fatally_failed());
  EXPECT_THAT(failures.GetTestPartResult(0).message(),
              ::testing::HasSubstr("InjectHandler*: no C++ handler Biling is registered"));
}

TEST_F(BillingTest, PayloadReachesTheHandler) {
  EXPECT_CALL(billing_, Handle(DataHas(R"("order_id": "o-7")"))).WillOnce(Return(Ok()));
  Publish("orders", "OrderPlaced", R"({"order_id": "o-7"})");
  RunUntilIdle();
  EXPECT_EQ(Handled("Billing"), 1);
}

TEST_F(BillingTest, RegisteredEventStoreHandlerRunsWithoutAMock) {
  ledger_calls = 0;
  WriteEvent("account-1", "Credited", R"({"amount": 5})");
  WriteEvent("account-2", "Garbled");
  RunUntilIdle();
  EXPECT_EQ(ledger_calls.load(), 2);
  EXPECT_EQ(Handled("Ledger"), 1);
  // An event-store subscription has no DLQ: the undecodable event is dropped.
  EXPECT_EQ(Dropped("Ledger"), 1);
}

}  // namespace
}  // namespace protean::testing
