#pragma once
// Runs handler attempts off the loop, each with the handler's SLA budget.
//
// Run() offloads the handler (a worker thread in real mode, inline in the
// simulation; on the loop itself for an inline_on_loop handler in real
// mode) and calls `done` on the loop exactly once: with the handler's
// outcome, or with kTimeout when the budget runs out first. A completion
// that arrives after its timeout, or after Abandon(), is ignored: the late
// result of a handler never acks anything. Several attempts may run at once
// (a subscription's `concurrency`); the caller bounds how many.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/engine/handler.h"
#include "core/engine/internal/callback_scope.h"
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
  // Attempts started and not finished (nor abandoned).
  int running() const { return static_cast<int>(running_.size()); }
  bool busy() const { return !running_.empty(); }
  // Forget every running attempt: their completions and timeouts are ignored.
  void Abandon();

 private:
  struct Attempt {
    TimePoint started{};
    TimerId timeout_timer = 0;
    Done done;
  };
  void Finish(uint64_t id, AttemptResult result);

  Executor& loop_;
  const HandlerRegistration& handler_;
  std::optional<Duration> budget_;
  Database* database_;
  std::string consumer_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Attempt> running_;
  internal::CallbackScope scope_;
};

}  // namespace protean
