#pragma once
// protean::testing::MockHandler: a GoogleMock handler for DomainTest
// (testing/domain_test.h), so a test states what a handler is called with
// and what it answers:
//
//   protean::testing::MockHandler billing;
//   UseMock("Billing", billing);                 // before Open()
//   EXPECT_CALL(billing, Handle(HasType("OrderPlaced")))
//       .WillOnce(Return(Retryable("timeout")))
//       .WillRepeatedly(Return(Ok()));
//
// Handle is called once per attempt, with the message (its type, payload
// `data`, id and attempt number). Without an expectation it answers Ok(). In
// test mode it is called on the engine's worker threads; GoogleMock's
// expectations are thread-safe, but set them before Open() starts the engine.

#include <string>

#include <gmock/gmock.h>

#include "core/engine/handler.h"

namespace protean::testing {

class MockHandler {
 public:
  MockHandler() {
    ON_CALL(*this, Handle(::testing::_)).WillByDefault(::testing::Return(HandlerResult::Ok()));
  }

  MOCK_METHOD(HandlerResult, Handle, (const Message& message));

  // The function the engine calls; valid while this mock lives.
  HandlerFn AsHandler() {
    return [this](const Message& message, HandlerContext&) { return Handle(message); };
  }
};

// The answers a handler gives (HandlerResult's, under short names for Return(...)).
inline HandlerResult Ok() { return HandlerResult::Ok(); }
inline HandlerResult Retryable(std::string reason) {
  return HandlerResult::Retryable(std::move(reason));
}
inline HandlerResult Undecodable(std::string reason) {
  return HandlerResult::Undecodable(std::move(reason));
}

// Matchers on the Message argument.
MATCHER_P(HasType, type, "a message of type " + ::testing::PrintToString(type)) {
  return arg.type == type;
}
MATCHER_P(HasAttempt, attempt, "attempt " + ::testing::PrintToString(attempt)) {
  return arg.attempt == attempt;
}
MATCHER_P(DataHas, text, "a payload containing " + ::testing::PrintToString(text)) {
  return arg.data.find(text) != std::string::npos;
}

}  // namespace protean::testing
