#include <nlohmann/json.hpp>

#include "core/database.h"
#include "src/handlers.h"

namespace orders {

protean::HandlerResult Ship(const protean::Message& message, protean::HandlerContext& context) {
  if (message.type != "OrderPlaced" || context.database == nullptr) {
    return protean::HandlerResult::Ok();
  }
  const nlohmann::json order = nlohmann::json::parse(message.data, nullptr, false);
  nlohmann::json shipment = {{"order_id", order.value("order_id", "")}, {"status", "booked"}};
  return context.database->Put("shipments", message.id, shipment.dump(), std::nullopt).status();
}

}  // namespace orders
