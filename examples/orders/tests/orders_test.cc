// The orders handlers under protean::testing, in either environment:
//   orders_test --protean-env memory   simulated clock, memory adapters ([memory])
//   orders_test --protean-env test     Redis, PostgreSQL, Message DB ([test])
// The same assertions hold in both: they count outcomes, never time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/handlers.h"
#include "testing/domain_test.h"

namespace {

using protean::Seconds;
using protean::testing::DataHas;
using protean::testing::HasType;
using protean::testing::MockHandler;
using protean::testing::Ok;
using protean::testing::Retryable;
using ::testing::Return;

constexpr const char* kGoodOrder = R"({"order_id": "o-1", "amount": 30, "card": "ok"})";
constexpr const char* kDeclinedOrder = R"({"order_id": "o-2", "amount": 12, "card": "declined"})";

// The real handlers.
class OrdersTest : public protean::testing::DomainTest {
 protected:
  void SetUp() override { Open(ORDERS_DOMAIN, orders::RegisterHandlers); }
};

TEST_F(OrdersTest, GoodOrderIsInvoicedAndShipped) {
  const std::string id = Publish("orders", "OrderPlaced", kGoodOrder);
  RunUntilIdle();
  EXPECT_EQ(Handled("Billing"), 1);
  EXPECT_EQ(Handled("Shipping"), 1);
  auto invoice = database()->Get("invoices", id);
  ASSERT_TRUE(invoice.ok()) << invoice.status().ToString();
  ASSERT_TRUE(invoice->has_value());
  EXPECT_NE((*invoice)->data.find("\"amount\":30"), std::string::npos) << (*invoice)->data;
}

TEST_F(OrdersTest, DeclinedCardIsRetriedThenDeadLettered) {
  Publish("orders", "OrderPlaced", kDeclinedOrder);
  RunUntilIdle();
  AdvanceTime(Seconds(5));  // past both retry delays (1 s each)
  EXPECT_EQ(Attempts("Billing"), 3);
  EXPECT_EQ(Retried("Billing"), 2);
  EXPECT_EQ(DeadLettered("Billing"), 1);
  EXPECT_EQ(Handled("Shipping"), 1);  // shipping does not depend on billing
}

TEST_F(OrdersTest, OrderWithoutIdIsDeadLetteredAtOnce) {
  Publish("orders", "OrderPlaced", R"({"amount": 3})");
  RunUntilIdle();
  EXPECT_EQ(Attempts("Billing"), 1);
  EXPECT_EQ(DeadLettered("Billing"), 1);
}

TEST_F(OrdersTest, ProjectionCountsTheEventsOfEachOrder) {
  WriteEvent("order-o1", "OrderPlaced", R"({"order_id": "o1"})");
  WriteEvent("order-o1", "OrderShipped", R"({"order_id": "o1"})");
  WriteEvent("order-o2", "OrderPlaced", R"({"order_id": "o2"})");
  RunUntilIdle();
  EXPECT_EQ(Handled("OrderHistory"), 3);
  auto history = database()->Get("order_history", Namespace() + "order-o1");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_TRUE(history->has_value());
  EXPECT_EQ((*history)->version, 2);
  EXPECT_NE((*history)->data.find("OrderShipped"), std::string::npos);
}

// A payment-provider outage for the whole test (the scenario catalogue's
// handler_errors fault): every attempt fails before Billing runs, so the
// order is dead-lettered after its three attempts, whatever the timing.
class BillingOutageTest : public protean::testing::DomainTest {
 protected:
  void SetUp() override {
    UseMock("Billing", billing_);
    InjectHandlerErrors("Billing", protean::Millis(0), Seconds(600));
    Open(ORDERS_DOMAIN, orders::RegisterHandlers);
  }
  MockHandler billing_;
};

TEST_F(BillingOutageTest, EveryAttemptFailsAndTheOrderIsDeadLettered) {
  EXPECT_CALL(billing_, Handle(::testing::_)).Times(0);
  Publish("orders", "OrderPlaced", kGoodOrder);
  RunUntilIdle();
  AdvanceTime(Seconds(5));
  EXPECT_EQ(Attempts("Billing"), 3);
  EXPECT_EQ(DeadLettered("Billing"), 1);
  EXPECT_EQ(Handled("Shipping"), 1);
}

// Billing replaced by a GoogleMock: failure injection from the test.
class BillingMockTest : public protean::testing::DomainTest {
 protected:
  void SetUp() override {
    UseMock("Billing", billing_);
    Open(ORDERS_DOMAIN, orders::RegisterHandlers);
  }
  MockHandler billing_;
};

TEST_F(BillingMockTest, TimeoutIsRetriedOnce) {
  EXPECT_CALL(billing_, Handle(HasType("OrderPlaced")))
      .WillOnce(Return(Retryable("timeout")))
      .WillOnce(Return(Ok()));
  Publish("orders", "OrderPlaced", kGoodOrder);
  RunUntilIdle();
  AdvanceTime(Seconds(5));
  EXPECT_EQ(Handled("Billing"), 1);
  EXPECT_EQ(Retried("Billing"), 1);
}

TEST_F(BillingMockTest, ThreeTimeoutsDeadLetter) {
  EXPECT_CALL(billing_, Handle(DataHas("o-1")))
      .Times(3)
      .WillRepeatedly(Return(Retryable("timeout")));
  Publish("orders", "OrderPlaced", kGoodOrder);
  RunUntilIdle();
  AdvanceTime(Seconds(5));
  EXPECT_EQ(DeadLettered("Billing"), 1);
}

}  // namespace
