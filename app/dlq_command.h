#pragma once
// `protean dlq list|inspect|replay|replay-all|purge` — the dead-letter queues
// of the domain's default broker. A DLQ is `{stream}:dlq`; `--subscription`
// names the stream (Protean: the stream category). Without it, `list` walks
// the streams of the domain's [handlers.*].
//
//   protean dlq list [--subscription S] [--limit 100] [--format text|json]
//   protean dlq inspect <dlq-id> --subscription S
//   protean dlq replay <dlq-id> --subscription S
//   protean dlq replay-all --subscription S [-y]
//   protean dlq purge --subscription S [-y]
//
// replay-all and purge ask for confirmation unless -y is given (no input:
// refused). Exit 0 done, 1 nothing found / refused, 2 usage or load error.

#include "app/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace protean::cli {

void RegisterDlqCommand(CLI::App& app, CommandContext& context);

}  // namespace protean::cli
