#include "core/engine/attempt_runner.h"

#include <cstdio>

#include "core/engine/internal/call_isolated.h"

namespace protean {

std::string_view AttemptOutcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kOk: return "ok";
    case AttemptOutcome::kFailed: return "failed";
    case AttemptOutcome::kTimeout: return "timeout";
    case AttemptOutcome::kUndecodable: return "undecodable";
  }
  return "unknown";
}

AttemptRunner::AttemptRunner(Executor& loop, const HandlerRegistration& handler,
                             std::optional<Duration> budget, Database* database,
                             std::string consumer)
    : loop_(loop),
      handler_(handler),
      budget_(budget),
      database_(database),
      consumer_(std::move(consumer)) {}

namespace {

// What the handler's thread writes and the loop reads once the completion
// is posted.
struct AttemptState {
  std::shared_ptr<const Message> message;
  HandlerContext ctx;
  HandlerResult result = HandlerResult::Ok();
};

AttemptResult ToAttemptResult(const HandlerResult& r) {
  switch (r.kind()) {
    case HandlerResult::Kind::kOk: return {AttemptOutcome::kOk, "", Duration{0}};
    case HandlerResult::Kind::kUndecodable: {
      const bool prefixed = r.reason().rfind("undecodable", 0) == 0;
      return {AttemptOutcome::kUndecodable, prefixed ? r.reason() : "undecodable: " + r.reason(),
              Duration{0}};
    }
    case HandlerResult::Kind::kRetryable: break;
  }
  return {AttemptOutcome::kFailed, r.reason(), Duration{0}};
}

}  // namespace

void AttemptRunner::Run(std::shared_ptr<const Message> message, Done done) {
  const uint64_t id = next_id_++;
  Attempt& attempt = running_[id];
  attempt.started = loop_.Now();
  attempt.done = std::move(done);
  auto state = std::make_shared<AttemptState>();
  state->message = std::move(message);
  state->ctx = HandlerContext{handler_.name, consumer_, attempt.started, database_, Duration{0}};
  const HandlerFn* fn = &handler_.fn;
  auto call = [state, fn]() -> Duration {
    state->result = internal::CallIsolated<HandlerResult>(
        "handler", [&] { return (*fn)(*state->message, state->ctx); });
    return state->ctx.cost;
  };
  auto finish = scope_.Guard([this, id, state] { Finish(id, ToAttemptResult(state->result)); });
  if (handler_.inline_on_loop && !loop_.simulated()) {
    // On the loop thread: no worker hand-off; the completion is posted as
    // Offload's would be (after the declared cost).
    const Duration cost = call();
    if (cost > Duration::zero()) {
      loop_.PostAfter(cost, finish);
    } else {
      loop_.Post(finish);
    }
  } else {
    loop_.Offload(call, finish);
  }
  auto it = running_.find(id);
  if (budget_ && it != running_.end()) {
    // Armed after the offload: in the simulation a handler that takes exactly
    // its budget completes first (only *past* the budget is a failure).
    it->second.timeout_timer = loop_.PostAfter(*budget_, scope_.Guard([this, id] {
      auto a = running_.find(id);
      if (a == running_.end()) return;
      a->second.timeout_timer = 0;
      char buf[64];
      std::snprintf(buf, sizeof buf, "timeout after %.3f s", ToSecondsF(*budget_));
      Finish(id, AttemptResult{AttemptOutcome::kTimeout, buf, Duration{0}});
    }));
  }
}

void AttemptRunner::Finish(uint64_t id, AttemptResult result) {
  auto it = running_.find(id);
  if (it == running_.end()) return;  // late: timed out already
  Attempt attempt = std::move(it->second);
  running_.erase(it);
  if (attempt.timeout_timer != 0) loop_.Cancel(attempt.timeout_timer);
  result.elapsed = loop_.Now() - attempt.started;
  attempt.done(result);
}

void AttemptRunner::Abandon() {
  for (auto& [id, attempt] : running_) {
    if (attempt.timeout_timer != 0) loop_.Cancel(attempt.timeout_timer);
  }
  running_.clear();
  scope_.Invalidate();
}

}  // namespace protean
