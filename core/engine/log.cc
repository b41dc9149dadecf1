#include "core/engine/log.h"

namespace protean {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarning: return "WARNING";
    case LogLevel::kError: return "ERROR";
  }
  return "INFO";
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
