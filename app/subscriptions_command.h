#pragma once
// `protean subscriptions status [-d|--domain PATH] [--env NAME] [--json]
//                               [--instance NAME]`
//
// Protean's `protean subscriptions status` (cli/subscriptions.py): per
// subscription of the domain's handlers its lag, lag in seconds, pending,
// DLQ depth, consumers and status, computed as app/subscription_status.h
// says, without a running engine. Text: the table "Subscriptions — FILE"
// (Handler, Type, Stream, Lag, Lag (s), Pending, DLQ, Consumers, Status; "-"
// where unknown, or for a DLQ depth or consumer count of 0), then
// "N subscription(s), A ok, B lagging, C unknown, total lag: L"; "No
// subscriptions found in domain." without handlers. Why a row is unknown
// goes to stderr. --json: Protean's envelope with data.subscriptions.
// --instance: the event-store positions of that named instance (`protean
// server --instance NAME`). Exit 0 (also with unknown rows, as Protean),
// 2 usage or load error.

#include "app/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

void RegisterSubscriptionsCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
