// The log of `protean server` (app/server/log_writer.h), in-process: JSON
// lines with their fields, levels, redaction, and lines written to the
// stream bridge.

#include "app/server/log_writer.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/server/health_http_server.h"

namespace protean::cli {
namespace {

std::vector<nlohmann::json> Lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

LogRecord Failure() {
  LogRecord r;
  r.level = LogLevel::kWarning;
  r.at = TimePoint(Seconds(1767225600)) + Millis(250);
  r.instance = "w0";
  r.event = "handler.failed";
  r.With("handler", "Orders").With("entry_id", "1-0").With("attempt", "2");
  r.message = "error: boom \"quoted\"\nsecond line";
  return r;
}

TEST(LogWriterTest, JsonLineHasTimeLevelEventMessageAndFields) {
  std::ostringstream out;
  LogWriter log(out, LogFormat::kJson, LogLevel::kInfo);
  log.Write(Failure());
  std::vector<nlohmann::json> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 1u) << out.str();
  const nlohmann::json& j = lines[0];
  EXPECT_EQ(j["time"], "2026-01-01T00:00:00.250Z");
  EXPECT_EQ(j["level"], "WARNING");
  EXPECT_EQ(j["event"], "handler.failed");
  EXPECT_EQ(j["message"], "error: boom \"quoted\"\nsecond line");
  EXPECT_EQ(j["instance"], "w0");
  EXPECT_EQ(j["handler"], "Orders");
  EXPECT_EQ(j["entry_id"], "1-0");
  EXPECT_EQ(j["attempt"], 2);  // a number, not a string
}

TEST(LogWriterTest, RecordsBelowTheLevelAreDropped) {
  std::ostringstream out;
  LogWriter log(out, LogFormat::kJson, LogLevel::kError);
  log.Write(Failure());
  EXPECT_EQ(out.str(), "");
  log.set_min_level(LogLevel::kWarning);
  log.Write(Failure());
  EXPECT_EQ(Lines(out.str()).size(), 1u);
}

TEST(LogWriterTest, SecretsNeverReachTheLineInEitherFormat) {
  for (LogFormat format : {LogFormat::kJson, LogFormat::kText}) {
    std::ostringstream out;
    LogWriter log(out, format, LogLevel::kDebug);
    LogRecord r = Failure();
    r.With("adapters", "brokers.default=redis redis://:hunter2@h:6379/0");
    r.message = "cannot connect to host=db password=s3cret?token=t0k";
    log.Write(r);
    EXPECT_EQ(out.str().find("hunter2"), std::string::npos) << out.str();
    EXPECT_EQ(out.str().find("s3cret"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("***"), std::string::npos) << out.str();
  }
}

TEST(LogWriterTest, StreamLinesBecomeRecordsWithTheirLevel) {
  std::ostringstream out;
  LogWriter log(out, LogFormat::kJson, LogLevel::kInfo);
  log.lines() << "protean: error: domain.toml: bad key\n"
              << "protean: warning: no handlers\n"
              << "protean: SIGTERM again: cutting the drain short\n"
              << "partial";
  std::vector<nlohmann::json> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 3u) << out.str();  // the partial line waits for its newline
  EXPECT_EQ(lines[0]["level"], "ERROR");
  EXPECT_EQ(lines[0]["event"], "server.error");
  EXPECT_EQ(lines[0]["message"], "domain.toml: bad key");
  EXPECT_EQ(lines[1]["level"], "WARNING");
  EXPECT_EQ(lines[2]["level"], "INFO");
  EXPECT_EQ(lines[2]["message"], "SIGTERM again: cutting the drain short");
}

TEST(LogWriterTest, TextFormatIsOneLinePerRecord) {
  std::ostringstream out;
  LogWriter log(out, LogFormat::kText, LogLevel::kInfo);
  LogRecord r = Failure();
  r.message = "boom";
  log.Write(r);
  EXPECT_EQ(out.str(),
            "2026-01-01T00:00:00.250Z WARNING [w0] handler.failed handler=Orders entry_id=1-0 "
            "attempt=2 boom\n");
}

TEST(LogFormatTest, NamesAreParsed) {
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("console"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("auto"), std::nullopt);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarning);
  EXPECT_EQ(ParseLogLevel("CRITICAL"), LogLevel::kCritical);
  EXPECT_EQ(ParseLogLevel("loud"), std::nullopt);
}

TEST(RequestIdTest, SaneIdsAreKeptOthersReplaced) {
  EXPECT_EQ(RequestIdFor("abc-123_x.y:z"), "abc-123_x.y:z");
  const std::string generated = RequestIdFor("");
  EXPECT_EQ(generated.size(), 32u);
  EXPECT_EQ(generated.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(RequestIdFor("bad id\r\nSet-Cookie: x"), "bad id\r\nSet-Cookie: x");
  EXPECT_NE(RequestIdFor(std::string(129, 'a')).size(), 129u);
  EXPECT_NE(RequestIdFor(""), RequestIdFor(""));
}

}  // namespace
}  // namespace protean::cli
