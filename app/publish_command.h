#pragma once
// `protean publish [--domain PATH] [--env NAME] --stream NAME --type TYPE
//                  [--data JSON] [--id ID] [--event-store]`
//
// Publishes one message in Protean's envelope: to the default broker's
// stream NAME, or with --event-store to the event store's stream NAME
// ("category-id"). --data is the payload, a JSON object (default {}); --id
// the message id (default a random UUID). Prints "published ID to NAME
// (entry ENTRY)", or "(position N)" in the event-store stream. Exit 0 published, 2 a usage or load
// error, a payload that is not a JSON object, or a backend that refused or
// cannot be reached (naming it).

#include "app/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

void RegisterPublishCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
