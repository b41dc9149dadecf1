#pragma once
// `protean server --history FILE`: the engine's events as a run history
// (docs/history.md), one JSON line each, in the format the harness records
// (app/history/event_json.h), so the harness can merge the histories of its
// `protean server` children and check them.
//
// Line 1 is the header: {"history":1, "mode", "source":"protean server",
// "file", "env", "instance", "named_instance", "host", "pid", "seed",
// "drain_timeout_us", "dlq", "subscriptions" (both from
// app/history/header_json.h), "instances": {<instance>: {"partition"}}}. `mode` is
// "test" when the domain's environment is `test` (the harness's test mode)
// and "server" otherwise. Every event carries the engine's instance name,
// i.e. the process's consumer identity (consumers are <Handler>-<instance>).
//
// Each line is written with one write(2) as it happens, so a process killed
// with SIGKILL leaves every line it completed. A failed write is reported
// once on `err` and ends the history (the server keeps running).
//
// Scripted handlers' calls (their ledger, core/engine/scripted_handler.h) are
// written as `handler_call` lines too (app/history/event_json.h), so the
// harness's handler_calls checker can judge a server's attempts.
//
// Thread-safety: OnEngineEvent runs on the engine loop, OnHandlerCall on the
// worker that ran the handler; a mutex orders the lines. Close at exit.

#include <ostream>
#include <string>
#include <vector>

#include "app/server/identity.h"
#include "core/engine/domain.h"
#include "core/engine/engine_events.h"
#include "core/engine/scripted_handler.h"
#include "core/mutex.h"

namespace protean::cli {

class HistoryWriter final : public EngineObserver {
 public:
  explicit HistoryWriter(std::ostream& err) : err_(err) {}
  ~HistoryWriter() override;
  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  // Creates (truncates) `path` and writes the header line.
  Status Open(const std::string& path, const Domain& domain,
              const std::vector<ResolvedHandler>& handlers, const ProcessIdentity& self,
              uint64_t seed);
  void OnEngineEvent(const EngineEvent& event) override;
  void OnHandlerCall(const ScriptedCall& call);
  void Close();

 private:
  void WriteLineLocked(const std::string& line) PROTEAN_REQUIRES(mu_);
  void CloseLocked() PROTEAN_REQUIRES(mu_);

  std::ostream& err_;
  Mutex mu_;
  std::string path_;
  int fd_ PROTEAN_GUARDED_BY(mu_) = -1;
};

}  // namespace protean::cli
