#pragma once
// The log of `protean server`: every LogRecord (the engine's and the
// server's own) becomes one line on stderr, either a JSON object
//   {"time":"2026-01-01T00:00:00.000Z","level":"WARNING","event":"handler.failed",
//    "message":"...","instance":"...","handler":"...","attempt":2,...}
// or, for a person at a terminal, FormatLogText's "time LEVEL [instance]
// event k=v message". Records below the minimum level are dropped. Every
// message and field value goes through config::RedactText first, so no
// password, token or API key reaches the log.
//
// lines() is an std::ostream for the code that reports through a stream
// (OpenDomain, ShutdownSignals, HistoryWriter): each line written to it
// becomes one record, its level read from a "protean: error:" /
// "protean: warning:" prefix (info otherwise).
//
// Thread-safety: Write, and each whole line given to lines(), may come from
// any thread; the writer serialises them. Set* are for start-up, before
// other threads log.

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "core/config/domain_config.h"
#include "core/engine/log.h"
#include "core/mutex.h"

namespace protean::cli {

enum class LogFormat { kJson, kText };

// "json" or "text"; also Protean's "console" (text); nullopt otherwise.
std::optional<LogFormat> ParseLogFormat(std::string_view name);

// --log-format, else [logging] format (json or console), else text when
// stderr is a terminal and json otherwise.
LogFormat ChooseLogFormat(const std::string& flag, const std::string& configured);
// --log-level, else [logging] level, else Protean's default for the
// environment (production/staging INFO, development DEBUG, test WARNING),
// else INFO.
LogLevel ChooseLogLevel(const std::string& flag, const config::DomainConfig& config);

// One JSON object (no newline): time, level, event, message, instance, then
// the fields; "attempt", "failures", "outage_seconds", "health_port", "pid"
// and "status" as numbers when they are integers. Values are redacted.
std::string FormatLogJson(const LogRecord& record);

class LogWriter {
 public:
  LogWriter(std::ostream& out, LogFormat format, LogLevel min_level);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  void set_format(LogFormat format) { format_ = format; }
  void set_min_level(LogLevel level) { min_level_ = level; }
  LogLevel min_level() const { return min_level_; }

  void Write(const LogRecord& record);
  // A record stamped now, for the server's own events.
  void Log(LogLevel level, std::string event, std::string message, LogRecord fields = {});
  std::ostream& lines();

 private:
  class LineBuffer;

  std::ostream& out_;
  LogFormat format_;
  LogLevel min_level_;
  Mutex mu_;  // one line at a time to out_
  std::unique_ptr<LineBuffer> buffer_;
  std::unique_ptr<std::ostream> lines_;
};

}  // namespace protean::cli
