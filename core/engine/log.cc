#include "core/engine/log.h"

#include <cctype>

namespace protean {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kCritical:
      return "CRITICAL";
  }
  return "INFO";
}

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError,
                         LogLevel::kCritical}) {
    if (upper == LogLevelName(level)) return level;
  }
  return std::nullopt;
}

std::string FormatLogLine(const LogRecord& r) {
  std::string out = r.event;
  for (const auto& [k, v] : r.fields) {
    out += ' ';
    out += k;
    out += '=';
    out += v;
  }
  if (!r.message.empty()) {
    out += ' ';
    out += r.message;
  }
  return out;
}

std::string FormatLogText(const LogRecord& r) {
  return FormatTime(r.at) + " " + std::string(LogLevelName(r.level)) + " [" + r.instance + "] " +
         FormatLogLine(r);
}

}  // namespace protean
