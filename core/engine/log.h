#pragma once
// What the engine tells an operator: one LogRecord per thing worth knowing
// (a failed adapter call, a DLQ alert, a shutdown step), handed to one
// LogSink. The engine never formats or writes logs itself; `protean server`
// and the harness give it their sink. Without one it writes FormatLogText
// lines to stderr.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.h"

namespace protean {

enum class LogLevel { kDebug, kInfo, kWarning, kError, kCritical };

// "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL".
std::string_view LogLevelName(LogLevel level);
// The level a name stands for, either case ("info", "WARNING"); nullopt
// for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);

struct LogRecord {
  LogLevel level = LogLevel::kInfo;
  TimePoint at{};
  std::string instance;  // the engine instance (consumer identity)
  std::string event;     // dotted name: "subscription.read_failed", "dlq_maintenance.alert"
  std::vector<std::pair<std::string, std::string>> fields;  // handler, stream, entry_id, ...
  std::string message;                                      // free text, may be empty

  LogRecord& With(std::string key, std::string value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
};

// Called on the engine loop; must not block for long.
using LogSink = std::function<void(const LogRecord&)>;

// "event k=v k=v message" (no time, level or instance).
std::string FormatLogLine(const LogRecord& record);
// "2026-01-01T00:00:00.000Z WARNING [instance] event k=v message".
std::string FormatLogText(const LogRecord& record);

}  // namespace protean
