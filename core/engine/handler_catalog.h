#pragma once
// HandlerCatalog: the C++ code a user's program contributes by name, its
// handlers and its DLQ alert callbacks. A Registrar fills one before the CLI
// (app/server_main.h), the harness (harness/harness_main.h) or a test
// (testing/domain_test.h) opens the domain; each of them registers the same
// catalog, so the server, `protean check`, the harness and the tests all run
// the same handlers.
//
// A handler meets domain.toml by name:
//  - [handlers.<name>] exists: the table decides the stream,
//    subscription_profile and subscription_config; the C++ function does the
//    work. The table's scripted keys (fail_first, fail_between, duration_ms,
//    record, ...; core/config/scripted_handler_spec.h) still apply and run
//    before the function: a scripted failure never reaches it. That is how a
//    scenario's handler faults reach C++ handlers.
//  - no table: HandlerOptions::stream is required, and the settings come from
//    [server.subscriptions.<name>], the profile and the config given here.
//
//   void RegisterHandlers(protean::HandlerCatalog& catalog) {
//     catalog.AddHandler("Billing", [](const protean::Message& m, protean::HandlerContext&) {
//       return m.type == "OrderPlaced" ? protean::HandlerResult::Ok()
//                                      : protean::HandlerResult::Undecodable("unknown type");
//     });
//     catalog.AddAlertCallback("orders.alerts.on_dlq", [](const std::string&, int64_t, int64_t) {
//       return protean::Status::Ok();
//     });
//   }
//
// Errors (an empty name or function, a name given twice, an fqn or an alert
// callback name that is not dotted) are kept: status() is the first one, and whoever
// opens the domain reports it (exit 2 from the CLI) before anything runs. The
// Add calls return the catalog, so they chain. Not thread-safe: fill it
// before anything runs.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config/subscription_config.h"
#include "core/engine/dlq_alert_callback.h"
#include "core/engine/handler.h"
#include "core/status.h"

namespace protean {

// Used only when domain.toml has no [handlers.<name>] table (the table
// decides otherwise), except inline_on_loop, which always applies, and fqn,
// which applies unless the table gives its own.
struct HandlerOptions {
  std::string stream;                                      // required then
  std::optional<std::string> subscription_profile;         // level 5 of resolution
  std::map<std::string, ConfigValue> subscription_config;  // level 6
  // See HandlerRegistration::inline_on_loop: only for handlers that never block.
  bool inline_on_loop = false;
  // Protean's fully qualified name of the handler ("app.handlers.Billing"):
  // the consumer group and the event-store position's identity
  // (SubscriberName). A dotted identifier; empty: the handler name.
  std::string fqn = {};
};

class HandlerCatalog {
 public:
  struct Handler {
    std::string name;
    HandlerFn fn;
    HandlerOptions options;
  };

  HandlerCatalog& AddHandler(std::string name, HandlerFn fn, HandlerOptions options = {});
  // `name` is Protean's dotted form ("myapp.alerts.on_dlq"), the value of
  // [server.dlq] alert_callback.
  HandlerCatalog& AddAlertCallback(std::string name, DlqAlertCallback callback);

  // nullptr when `name` is not registered.
  const Handler* FindHandler(const std::string& name) const;
  const std::vector<Handler>& handlers() const { return handlers_; }
  const std::map<std::string, DlqAlertCallback>& alert_callbacks() const {
    return alert_callbacks_;
  }
  // Ok, or the first error of an Add call.
  const Status& status() const { return status_; }

 private:
  void Keep(Status status);

  std::vector<Handler> handlers_;
  std::map<std::string, DlqAlertCallback> alert_callbacks_;
  Status status_ = Status::Ok();
};

// Fills a catalog; the entry points (ServerMain, harness::Main, the testing
// main) call it once at start.
using Registrar = std::function<void(HandlerCatalog& catalog)>;

}  // namespace protean
