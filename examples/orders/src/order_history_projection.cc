#include <string>

#include "core/database.h"
#include "src/handlers.h"

namespace orders {

// One record per order stream ("order-o1"); its version counts the events
// projected (an at-least-once redelivery counts again: a real projection
// would remember the last global position it applied).
protean::HandlerResult ProjectOrderHistory(const protean::Message& message,
                                           protean::HandlerContext& context) {
  if (context.database == nullptr) return protean::HandlerResult::Ok();
  return context.database
      ->Put("order_history", message.stream, "{\"last\": \"" + message.type + "\"}", std::nullopt)
      .status();
}

}  // namespace orders
