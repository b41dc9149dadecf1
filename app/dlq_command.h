#pragma once
// `protean dlq list|inspect|replay|replay-all|purge`, after Protean's
// cli/dlq.py, over the dead-letter queues of the domain's default broker. A
// DLQ is `{stream}:dlq`; the DLQs searched are those of every handler's
// stream in handler order (with [server.priority_lanes] enabled also
// Protean's `{stream}:backfill:dlq`, core/config/priority_lanes.h), or, with
// `--subscription S`, S's, where S must be a handler's stream ("No
// subscription found for stream category 'S'.", exit 1, as Protean).
//
//   protean dlq list [--subscription S] [--limit 100] [--format text|json]
//   protean dlq inspect <dlq-id> [--subscription S] [--format text|json]
//   protean dlq replay <dlq-id> [--subscription S] [--format text|json]
//   protean dlq replay-all --subscription S [-y]
//   protean dlq purge --subscription S [-y]
//
// list: every entry of every DLQ searched, newest failure first, at most
// --limit in all (Protean's limit is global too); Protean's table (DLQ ID,
// Subscription, Consumer Group, Failure Reason, Failed At, Retries: see
// app/dlq_render.h), then "N DLQ message(s) found."; "No DLQ messages
// found." when there are none. A foreign or damaged entry is listed with
// reason "damaged: <what is wrong>", never hiding the others; a DLQ that
// cannot be read (not a stream) is skipped with a warning on stderr.
// inspect: Protean's labelled lines and the payload without _dlq_metadata.
// replay: republishes the original fields byte for byte (Protean's
// envelope, checksum intact) to the original stream, then deletes the DLQ
// entry: "Replayed message 'ID' to stream 'S'."; a damaged entry is not
// replayed (exit 1). --format json: Protean's envelope (app/envelope.h) with
// data.messages + data.count, data.message, or data {dlq_id, stream, new_id}.
// replay-all and purge ask for confirmation unless -y is given (no input:
// refused). Exit 0 done, 1 nothing found / refused / not replayable, 2 usage
// or load error, or the broker unreachable.

#include "app/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

void RegisterDlqCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
