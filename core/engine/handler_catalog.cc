#include "core/engine/handler_catalog.h"

#include <utility>

#include "core/config/alert_callback_spec.h"

namespace protean {

void HandlerCatalog::Keep(Status status) {
  if (status_.ok()) status_ = std::move(status);
}

HandlerCatalog& HandlerCatalog::AddHandler(std::string name, HandlerFn fn, HandlerOptions options) {
  if (name.empty()) {
    Keep(Status::InvalidArgument("HandlerCatalog::AddHandler: empty handler name"));
  } else if (!fn) {
    Keep(Status::InvalidArgument("HandlerCatalog::AddHandler: handler " + name +
                                 " has no function"));
  } else if (!options.fqn.empty() && !config::IsDottedName(options.fqn)) {
    Keep(Status::InvalidArgument("HandlerCatalog::AddHandler: handler " + name + ": fqn \"" +
                                 options.fqn +
                                 "\" is not a dotted identifier (like app.handlers.OrderHandler)"));
  } else if (FindHandler(name) != nullptr) {
    Keep(Status::InvalidArgument("HandlerCatalog::AddHandler: handler " + name +
                                 " is registered twice"));
  } else {
    handlers_.push_back(Handler{std::move(name), std::move(fn), std::move(options)});
  }
  return *this;
}

HandlerCatalog& HandlerCatalog::AddAlertCallback(std::string name, DlqAlertCallback callback) {
  if (!config::IsDottedName(name)) {
    Keep(Status::InvalidArgument("HandlerCatalog::AddAlertCallback: \"" + name +
                                 "\" is not a dotted name (like myapp.alerts.on_dlq)"));
  } else if (!callback) {
    Keep(Status::InvalidArgument("HandlerCatalog::AddAlertCallback: " + name + " has no function"));
  } else if (!alert_callbacks_.emplace(name, std::move(callback)).second) {
    Keep(Status::InvalidArgument("HandlerCatalog::AddAlertCallback: " + name +
                                 " is registered twice"));
  }
  return *this;
}

const HandlerCatalog::Handler* HandlerCatalog::FindHandler(const std::string& name) const {
  for (const Handler& h : handlers_) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

}  // namespace protean
