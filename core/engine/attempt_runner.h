#pragma once
// Runs one handler attempt off the loop, with the handler's SLA budget.
//
// Run() offloads the handler (worker thread in real mode, inline in the
// simulation) and calls `done` on the loop exactly once: with the handler's
// outcome, or with kTimeout when the budget runs out first. A completion that
// arrives after the timeout, or after Abandon(), is ignored: the late result
// of a handler never acks anything. One attempt at a time.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/engine/handler.h"
#include "core/executor.h"

namespace protean {

enum class AttemptOutcome { kOk, kFailed, kTimeout, kUndecodable };
std::string_view AttemptOutcomeName(AttemptOutcome outcome);

struct AttemptResult {
  AttemptOutcome outcome = AttemptOutcome::kOk;
  std::string reason;  // the handler's message, "timeout after 2.000 s", ...
  Duration elapsed{0};
};

class AttemptRunner {
 public:
  using Done = std::function<void(const AttemptResult&)>;

  AttemptRunner(Executor& loop, const HandlerRegistration& handler, std::optional<Duration> budget,
                Database* database, std::string consumer);

  void Run(std::shared_ptr<const Message> message, Done done);
  bool busy() const { return busy_; }
  // Forget the running attempt: its completion and timeout will be ignored.
  void Abandon();

 private:
  void Finish(uint64_t generation, const AttemptResult& result);

  Executor& loop_;
  const HandlerRegistration& handler_;
  std::optional<Duration> budget_;
  Database* database_;
  std::string consumer_;
  bool busy_ = false;
  uint64_t generation_ = 0;
  TimerId timeout_timer_ = 0;
  TimePoint started_{};
  Done done_;
  // Shared with callbacks: false once the runner is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

 public:
  ~AttemptRunner() { *alive_ = false; }
};

}  // namespace protean
