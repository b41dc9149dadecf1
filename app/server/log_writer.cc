#include "app/server/log_writer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <streambuf>
#include <tuple>

#include "core/config/redaction.h"

namespace protean::cli {
namespace {

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
          out += esc;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

bool NumericField(std::string_view key, std::string_view value) {
  static constexpr std::string_view kNumeric[] = {"attempt",     "failures", "outage_seconds",
                                                  "health_port", "pid",      "status"};
  if (std::find(std::begin(kNumeric), std::end(kNumeric), key) == std::end(kNumeric)) return false;
  if (value.empty() || value.size() > 18) return false;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

void AppendMember(std::string& out, std::string_view key, std::string_view value) {
  out += ',';
  AppendJsonString(out, key);
  out += ':';
  if (NumericField(key, value)) {
    out += value;
  } else {
    AppendJsonString(out, config::RedactText(value));
  }
}

}  // namespace

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "json") return LogFormat::kJson;
  if (name == "text" || name == "console") return LogFormat::kText;
  return std::nullopt;
}

// --log-format, else [logging] format (json or console), else text when
// stderr is a terminal and json otherwise.
LogFormat ChooseLogFormat(const std::string& flag, const std::string& configured) {
  if (std::optional<LogFormat> f = ParseLogFormat(flag)) return *f;
  if (std::optional<LogFormat> f = ParseLogFormat(configured)) return *f;
  return ::isatty(STDERR_FILENO) != 0 ? LogFormat::kText : LogFormat::kJson;
}

// --log-level, else [logging] level, else Protean's default for the
// environment (utils/logging.py _ENV_LEVEL_MAP), else INFO.
LogLevel ChooseLogLevel(const std::string& flag, const config::DomainConfig& config) {
  if (std::optional<LogLevel> l = ParseLogLevel(flag)) return *l;
  if (std::optional<LogLevel> l = ParseLogLevel(config.logging.level)) return *l;
  if (config.env == "development") return LogLevel::kDebug;
  if (config.env == "test") return LogLevel::kWarning;
  return LogLevel::kInfo;
}

std::string FormatLogJson(const LogRecord& r) {
  std::string out = "{\"time\":";
  AppendJsonString(out, FormatTime(r.at));
  AppendMember(out, "level", LogLevelName(r.level));
  AppendMember(out, "event", r.event);
  AppendMember(out, "message", r.message);
  if (!r.instance.empty()) AppendMember(out, "instance", r.instance);
  for (const auto& [key, value] : r.fields) AppendMember(out, key, value);
  out += '}';
  return out;
}

// Collects characters up to each newline and hands the line to the writer.
class LogWriter::LineBuffer : public std::streambuf {
 public:
  explicit LineBuffer(LogWriter& writer) : writer_(writer) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return 0;
    if (c == '\n') {
      Flush();
    } else {
      line_ += static_cast<char>(c);
    }
    return c;
  }
  int sync() override { return 0; }  // a partial line waits for its newline

 private:
  void Flush() {
    std::string_view text = line_;
    if (text.starts_with("protean: ")) text.remove_prefix(9);
    LogLevel level = LogLevel::kInfo;
    std::string event = "server.info";
    for (auto [prefix, lvl, name] : {std::tuple{"error: ", LogLevel::kError, "server.error"},
                                     std::tuple{"warning: ", LogLevel::kWarning, "server.warning"},
                                     std::tuple{"info: ", LogLevel::kInfo, "server.info"}}) {
      if (text.starts_with(prefix)) {
        text.remove_prefix(std::string_view(prefix).size());
        level = lvl;
        event = name;
        break;
      }
    }
    writer_.Log(level, std::move(event), std::string(text));
    line_.clear();
  }

  LogWriter& writer_;
  std::string line_;
};

LogWriter::LogWriter(std::ostream& out, LogFormat format, LogLevel min_level)
    : out_(out),
      format_(format),
      min_level_(min_level),
      buffer_(std::make_unique<LineBuffer>(*this)),
      lines_(std::make_unique<std::ostream>(buffer_.get())) {}

LogWriter::~LogWriter() = default;

void LogWriter::Write(const LogRecord& record) {
  if (record.level < min_level_) return;
  std::string line;
  if (format_ == LogFormat::kJson) {
    line = FormatLogJson(record);
  } else {
    LogRecord shown = record;
    shown.message = config::RedactText(shown.message);
    for (auto& field : shown.fields) field.second = config::RedactText(field.second);
    line = FormatLogText(shown);
  }
  MutexLock lock(&mu_);
  out_ << line << '\n';
  out_.flush();
}

void LogWriter::Log(LogLevel level, std::string event, std::string message, LogRecord fields) {
  fields.level = level;
  fields.at = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  fields.event = std::move(event);
  fields.message = std::move(message);
  Write(fields);
}

std::ostream& LogWriter::lines() { return *lines_; }

}  // namespace protean::cli
