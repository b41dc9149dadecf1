#include <nlohmann/json.hpp>

#include "core/database.h"
#include "src/handlers.h"

namespace orders {

protean::HandlerResult Bill(const protean::Message& message, protean::HandlerContext& context) {
  const nlohmann::json order = nlohmann::json::parse(message.data, nullptr, false);
  if (order.is_discarded() || !order.contains("order_id")) {
    return protean::HandlerResult::Undecodable("an order needs an order_id");
  }
  if (order.value("card", "") == "declined") {
    return protean::HandlerResult::Retryable("card declined for " +
                                             order["order_id"].get<std::string>());
  }
  if (context.database == nullptr) return protean::HandlerResult::Ok();
  nlohmann::json invoice = {{"order_id", order["order_id"]}, {"amount", order.value("amount", 0)}};
  // A Status converts: an unavailable database is a retryable failure.
  return context.database->Put("invoices", message.id, invoice.dump(), std::nullopt).status();
}

}  // namespace orders
