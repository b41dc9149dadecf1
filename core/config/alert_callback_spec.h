#pragma once
// The syntax of [server.dlq] alert_callback, shared by the loader, `protean
// check` and `protean server`, so all three accept and reject the same values:
//
//   "command:/abs/program [arg ...]"  run a program (no shell); the first word
//                                     is an absolute path
//   "webhook:http://host[:port][/path]"  POST JSON to a plain-HTTP endpoint
//   "myapp.alerts.on_dlq"            a C++ callback registered under this name
//                                     (core/engine/alert_callback_registry.h);
//                                     Protean's dotted-path form. Names are
//                                     identifiers [A-Za-z_][A-Za-z0-9_]*
//                                     joined by '.'.
//
// The loader checks the syntax (CONFIG_INVALID_VALUE at
// server.dlq.alert_callback with line:column); whether a name is registered is
// known only to the process that runs: CheckAlertCallback, which `protean
// check` and the server's start path both call. Does not include toml++.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/sections.h"
#include "core/status.h"

namespace protean::config {

enum class AlertCallbackKind { kCommand, kWebhook, kRegistered };

struct AlertCallbackSpec {
  AlertCallbackKind kind = AlertCallbackKind::kRegistered;
  std::vector<std::string> command;  // kCommand: the program, then its arguments
  std::string origin;                // kWebhook: "http://host[:port]"
  std::string path;                  // kWebhook: "/path" ("/" when absent)
  std::string name;                  // kRegistered: the dotted name
};

// kInvalidArgument with a message naming the value when it is none of the
// three forms.
Result<AlertCallbackSpec> ParseAlertCallbackSpec(std::string_view text);

// True for "a", "a.b_c", "_x.y1"; false for "", "a.", ".a", "a..b", "a-b".
bool IsDottedName(std::string_view name);

// Answers whether a dotted name is registered. Null: nothing is registered.
using AlertCallbackLookup = std::function<bool(std::string_view name)>;

// The start-time check of `dlq.alert_callback`: Ok when unset or valid; else
// CONFIG_INVALID_VALUE located at server.dlq.alert_callback (file `file`,
// line:column from dlq.alert_callback_origin): a bad syntax, or a name that
// `is_registered` does not know (the message lists the registered names when
// `registered_names` is given).
Status CheckAlertCallback(const DlqConfig& dlq, const std::string& file,
                          const AlertCallbackLookup& is_registered,
                          const std::vector<std::string>& registered_names = {});

}  // namespace protean::config
