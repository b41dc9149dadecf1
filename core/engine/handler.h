#pragma once
// Handlers: user code the engine runs for each message of a subscription.
//
// A handler is a callable taking the message and a context and returning a
// Status. Ok = handled (the message is acked). Any other code is a failure
// that is retried with backoff until max_retries attempts ran, then
// dead-lettered. kInvalidArgument means "this payload cannot be decoded":
// no retry, the message goes to the DLQ at once.
//
// Handlers run off the engine loop (Executor::Offload): on a worker thread in
// real mode, inline in the simulation. They must not touch engine state; the
// context gives them what they may use. A handler that must look busy for a
// while without blocking the simulation sets `ctx.cost` (scripted handlers).

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/engine/message.h"
#include "core/config/subscription_config.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

class Database;

struct HandlerContext {
  std::string handler;
  std::string consumer;      // the consumer (instance) running this attempt
  TimePoint now{};           // when the attempt started, from the engine Clock
  Database* database = nullptr;  // the "default" database, if any
  // Extra time this attempt takes beyond its own running time: the simulation
  // completes it that much later in virtual time; real workers wait.
  Duration cost{0};
};

using HandlerFn = std::function<Status(const Message&, HandlerContext&)>;

struct HandlerRegistration {
  std::string name;    // unique; [server.subscriptions.<name>] matches it
  std::string stream;  // the stream (broker) or category (event store) consumed
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

}  // namespace protean
