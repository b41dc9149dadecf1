#pragma once
// InboxFeeder: `protean server --inbox FILE`. A thread of its own follows a
// JSON-lines file (app/publish_request.h; `protean publish --inbox FILE`
// appends to it) and publishes every complete line to the server's default
// broker or event store, so a server on memory providers can be tried
// without Redis or PostgreSQL.
//
// - Every start reads FILE from its first line: memory providers begin
//   empty, so the inbox is the state (with a persistent broker each start
//   publishes the lines again).
// - It polls every `interval`; a file that does not exist yet is waited for.
//   A line without a line feed is not read until it has one.
// - A line that does not parse is logged as an error naming FILE:LINE and
//   skipped (it stays in the file). A line without an id gets one derived
//   from the file's path and the line number, the same on every start.
// - A backend that refuses is logged and the same line is tried again at
//   the next poll: nothing is skipped.
//
// Thread-safety: Start/Stop from one thread; the adapters must allow calls
// from any thread (every adapter does) and outlive Stop().

#include <cstdint>
#include <functional>
#include <string>

#include "app/server/periodic_thread.h"
#include "core/clock.h"
#include "core/config/domain_config.h"
#include "core/engine/engine.h"
#include "core/engine/log.h"
#include "core/time.h"

namespace protean::cli {

class InboxFeeder {
 public:
  InboxFeeder(std::string path, EngineAdapters adapters, config::PriorityLanesConfig lanes,
              const Clock& clock,
              std::function<void(LogLevel, const std::string& event, const std::string& text)> log,
              Duration interval);
  ~InboxFeeder();
  InboxFeeder(const InboxFeeder&) = delete;
  InboxFeeder& operator=(const InboxFeeder&) = delete;

  void Start();
  // Stops following (waits for the publish under way).
  void Stop();
  // Publishes the complete lines that arrived since the last pass; returns
  // how many were published. On the feeder's thread (or the caller's, in tests).
  int64_t PollOnce();

 private:
  std::string path_;
  EngineAdapters adapters_;
  config::PriorityLanesConfig lanes_;  // routes a low priority to the backfill lane  // pointers to
                                       // the adapters (a copy of the list)
  const Clock& clock_;
  std::function<void(LogLevel, const std::string&, const std::string&)> log_;
  Duration interval_;
  int64_t offset_ = 0;       // bytes of FILE consumed (complete lines only)
  int64_t line_number_ = 0;  // lines consumed
  bool missing_logged_ = false;
  std::string failing_;  // the error last logged for the line being retried
  PeriodicThread thread_;
};

}  // namespace protean::cli
