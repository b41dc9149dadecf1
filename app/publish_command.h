#pragma once
// `protean publish [--domain PATH] [--env NAME] --stream NAME --type TYPE
//                  [--data JSON] [--id ID] [--event-store] [--priority N] [--inbox FILE]`
// `protean publish [--domain PATH] --file FILE|- [--stream NAME] [--type TYPE]
//                  [--event-store] [--inbox FILE]`
//
// Publishes messages in Protean's envelope (app/publish_request.h): one from
// the flags, or one per line of a JSON-lines FILE ("-": standard input; a
// line's missing stream, type and event_store come from the flags; blank
// lines are skipped). Every line is checked before anything is sent: a bad
// one is reported as FILE:LINE and nothing is published.
//
// Without --inbox a message goes to the default broker's stream NAME, or
// with --event-store to the event store's stream NAME ("category-id"); a
// backend inside each process (provider inline or memory) is refused, since
// no server would ever see the message. With --inbox FILE the messages are
// appended to FILE as lines, ids set, for `protean server --inbox FILE` to
// publish (no domain is opened): how to feed a server running on memory
// providers.
//
// Prints "published ID to NAME (entry ENTRY)" / "(position N)", or "queued ID
// for NAME in FILE", one line per message. Exit 0 published, 2 a usage or
// load error, a bad message, or a backend that refused or cannot be reached
// (naming it; the messages before it stay published and were printed).

#include "app/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

void RegisterPublishCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
