#pragma once
// protean::testing::DomainTest: a GoogleTest fixture that opens a user's
// domain.toml with their C++ handlers and runs the engine over it in the
// run's environment (testing/test_env.h: memory or test), so the same test
// body checks the handlers on the simulated clock and against real services.
//
//   class OrdersTest : public protean::testing::DomainTest {
//    protected:
//     void SetUp() override {
//       UseMock("Billing", billing_);               // optional: a mock in place of one
//       Open(ORDERS_DOMAIN_DIR, orders::RegisterHandlers);
//     }
//     protean::testing::MockHandler billing_;
//   };
//
//   TEST_F(OrdersTest, BillingRetriesThenSucceeds) {
//     EXPECT_CALL(billing_, Handle(HasType("OrderPlaced")))
//         .WillOnce(Return(Retryable("timeout"))).WillRepeatedly(Return(Ok()));
//     Publish("orders", "OrderPlaced", R"({"order_id": "o-1"})");
//     RunUntilIdle();
//     AdvanceTime(std::chrono::seconds(5));
//     EXPECT_EQ(Handled("Billing"), 1);
//     EXPECT_EQ(Retried("Billing"), 1);
//   }
//
// Open() loads the file with the overlay named like the environment ([memory]
// or [test]), registers the handlers as `protean server` does
// (core/engine/handler_catalog.h) and starts one engine:
//  - memory: a simulated clock starting at 2026-01-01T00:00:00Z and loop,
//    seed 1; handlers run inline; time moves only in RunUntilIdle and
//    AdvanceTime, so a 5 s retry delay costs nothing.
//  - test: the real clock and loop (worker threads, as the server), the
//    services of the [test] overlay, every one pinged first: one that cannot
//    be reached is a fatal failure naming it. Every stream and category is
//    prefixed with a namespace of this test (Namespace()); the test's broker
//    streams and their DLQs are deleted at the end. Event-store rows stay
//    (Message DB has no delete), unique to the namespace.
// A failure in Open() is fatal: called from SetUp(), the test body is skipped.
//
// Outcomes are counted per handler from the engine's own events for the
// messages this test published (by id): what happened, not when.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/database.h"
#include "core/engine/handler_catalog.h"
#include "core/time.h"
#include "testing/mock_handler.h"
#include "testing/test_env.h"

namespace protean::testing {

class DomainTest : public ::testing::Test {
 protected:
  DomainTest();
  ~DomainTest() override;

  // Before Open(): handler `name` runs `mock` instead of its registered
  // function (a name the registrar does not register is added; domain.toml
  // must then declare its stream in [handlers.<name>]). `mock` must outlive
  // the fixture's engine (a member of the fixture does).
  void UseMock(const std::string& name, MockHandler& mock);
  // Before Open(): the scenario catalogue's handler faults, on a C++ handler
  // of the registrar (or a mock), timed from Open(): every attempt of
  // `handler` that starts in [at, at + duration) fails (handler_errors), or
  // takes `extra` longer (handler_slow: past the subscription's
  // handler_timeout_seconds it times out). The handler's function is not
  // called for a failed attempt. A name that is not registered fails Open().
  void InjectHandlerErrors(const std::string& handler, Duration at, Duration duration);
  void InjectHandlerSlow(const std::string& handler, Duration at, Duration duration,
                         Duration extra);
  // Opens `domain_path` (a domain.toml or its folder) in CurrentTestEnv().
  void Open(const std::string& domain_path, const Registrar& register_handlers);

  TestEnv env() const { return CurrentTestEnv(); }
  // The prefix of every stream and category of this test ("" in memory mode).
  const std::string& Namespace() const;

  // Publishes a message to broker stream `stream` (without the namespace);
  // returns its id. `payload` is JSON object text.
  std::string Publish(const std::string& stream, const std::string& type,
                      const std::string& payload = "{}");
  // Writes an event to event-store stream `stream_name` ("category-id").
  std::string WriteEvent(const std::string& stream_name, const std::string& type,
                         const std::string& payload = "{}");

  // Runs the engine until every (handler, message) of this test is settled:
  // handled, dead-lettered, dropped, or waiting for a retry that is not due
  // yet. Retry delays are not skipped: AdvanceTime lets them pass. Bounded
  // by 60 s (virtual in memory mode); past the bound the test fails.
  void RunUntilIdle();
  // Lets `d` pass (virtual time in memory mode, real time in test mode), then
  // runs until every retry that came due within `d` has run and the pairs are
  // settled again: what a test asserts next does not depend on how busy the
  // machine was.
  void AdvanceTime(Duration d);

  // Per handler, over this test's messages: messages handled (acked after a
  // successful attempt), attempts, retries scheduled, messages moved to the
  // DLQ, messages dropped (attempts exhausted without a DLQ).
  int64_t Handled(const std::string& handler) const;
  int64_t Attempts(const std::string& handler) const;
  int64_t Retried(const std::string& handler) const;
  int64_t DeadLettered(const std::string& handler) const;
  int64_t Dropped(const std::string& handler) const;

  // The domain's "default" database (a projection's records), or null.
  Database* database();

  void TearDown() override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace protean::testing
