#include "src/handlers.h"

namespace orders {

void RegisterHandlers(protean::HandlerCatalog& catalog) {
  catalog.AddHandler("Billing", Bill)
      .AddHandler("Shipping", Ship)
      .AddHandler("OrderHistory", ProjectOrderHistory)
      .AddAlertCallback("orders.alerts.page_on_call",
                        [](const std::string& dlq, int64_t depth, int64_t threshold) {
                          // A real service would page someone here.
                          (void)dlq, (void)depth, (void)threshold;
                          return protean::Status::Ok();
                        });
}

}  // namespace orders
