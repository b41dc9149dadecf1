#pragma once
// DLQ alert callbacks named in [server.dlq] alert_callback:
//   "command:/path/to/program arg..."  run the program (no shell) with
//       PROTEAN_DLQ_STREAM, PROTEAN_DLQ_DEPTH and PROTEAN_DLQ_THRESHOLD in its
//       environment and the same three values appended as arguments; a
//       non-zero exit or a run longer than 10 s is a failed callback.
//   "webhook:http://host[:port]/path"  POST {"dlq_stream","depth","threshold"}
//       as JSON (5 s timeout); a non-2xx answer is a failed callback.
// The engine runs callbacks off its loop and logs a failure; it never stalls.
// The syntax is config::ParseAlertCallbackSpec's (core/config/alert_callback_spec.h);
// a registered name is resolved by ResolveAlertCallback, not here.

#include <string>

#include "core/engine/engine.h"

namespace protean {

// kInvalidArgument naming the value when it is neither a command: nor a webhook:.
Result<DlqAlertCallback> MakeDlqAlertCallback(const std::string& spec);

}  // namespace protean
