#pragma once
// Handlers: user code the engine runs for each message of a subscription.
//
// A handler is a callable taking the message and a context and returning a
// HandlerResult: Ok (handled: the message is acked), Retryable (a failure:
// retried with backoff until max_retries attempts ran, then dead-lettered)
// or Undecodable (this payload can never be handled: no retry, the message
// goes to the DLQ at once). A Status converts implicitly: ok is Ok, any
// error is Retryable, whatever its code, so a handler that forwards a port's
// error (even kInvalidArgument) never dead-letters a message at once.
//
// Handlers run off the engine loop (Executor::Offload): on a worker thread in
// real mode, inline in the simulation. They must not touch engine state; the
// context gives them what they may use: the clock time the attempt started,
// the "default" database and cache, and a publisher whose messages carry
// the handled message's correlation (core/engine/handler_publisher.h; sent
// only when the handler returns Ok). A handler that must look busy for a
// while without blocking the simulation sets `ctx.cost` (scripted handlers).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/config/subscription_config.h"
#include "core/engine/handler_publisher.h"
#include "core/engine/message.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

class Cache;
class Database;

struct HandlerContext {
  std::string handler;
  std::string consumer;          // the consumer (instance) running this attempt
  TimePoint now{};               // when the attempt started, from the engine Clock
  Database* database = nullptr;  // the "default" database, if any
  Cache* cache = nullptr;        // the "default" cache, if any
  HandlerPublisher publisher;    // messages to send once the handler returns Ok
  // Extra time this attempt takes beyond its own running time: the simulation
  // completes it that much later in virtual time; real workers wait.
  Duration cost{0};
};

class HandlerResult {
 public:
  enum class Kind { kOk, kRetryable, kUndecodable };

  static HandlerResult Ok() { return HandlerResult(Kind::kOk, ""); }
  static HandlerResult Retryable(std::string reason) {
    return HandlerResult(Kind::kRetryable, std::move(reason));
  }
  static HandlerResult Undecodable(std::string reason) {
    return HandlerResult(Kind::kUndecodable, std::move(reason));
  }
  // ok -> Ok; otherwise Retryable with the status's text.
  HandlerResult(const Status& status)  // NOLINT: implicit by design
      : kind_(status.ok() ? Kind::kOk : Kind::kRetryable),
        reason_(status.ok() ? "" : status.ToString()) {}

  Kind kind() const { return kind_; }
  bool ok() const { return kind_ == Kind::kOk; }
  const std::string& reason() const { return reason_; }

 private:
  HandlerResult(Kind kind, std::string reason) : kind_(kind), reason_(std::move(reason)) {}
  Kind kind_;
  std::string reason_;
};

using HandlerFn = std::function<HandlerResult(const Message&, HandlerContext&)>;

struct HandlerRegistration {
  std::string name;    // unique; [server.subscriptions.<name>] matches it
  std::string stream;  // the stream (broker) or category (event store) consumed
  // Protean's fully qualified name of the handler class ("app.handlers.
  // OrderHandler", `[handlers.<name>] fqn`); empty: the name stands for it.
  // See SubscriberName.
  std::string fqn;
  HandlerFn fn;
  // For handlers that never block (pure computation, in-memory state): run
  // on the engine loop itself, saving the two thread hand-offs per message of
  // a worker-thread attempt. A handler marked so that does block stalls the
  // whole engine. Ignored in the simulation, where every handler runs inline.
  bool inline_on_loop = false;
  // Levels 5 and 6 of subscription resolution.
  std::optional<std::string> subscription_profile;
  std::map<std::string, ConfigValue> subscription_config;  // may hold "subscription_type"
  // Where the registration came from, for errors ("handler X", or a TOML file).
  std::string source;
  ConfigLayer subscription_config_layer;  // used instead of the map when non-empty (TOML)
  std::optional<ConfigEntry> subscription_profile_entry;  // likewise
};

// Protean's subscriber_name, fqn(handler) (server/subscription/
// stream_subscription.py:135, event_store_subscription.py:143): the consumer
// group of a stream subscription and the identity in an event-store
// subscription's position stream. The fqn when one is given, else the name,
// so a deployment that names its handlers as Protean did continues Protean's
// groups and positions instead of replaying history. Consumer names, log
// lines and metric labels keep the handler name (Protean's class name).
inline const std::string& SubscriberName(const HandlerRegistration& handler) {
  return handler.fqn.empty() ? handler.name : handler.fqn;
}

}  // namespace protean
