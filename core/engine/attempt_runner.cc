#include "core/engine/attempt_runner.h"

#include <cstdio>
#include <exception>

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

// What the worker writes and the loop reads after the completion is posted.
struct AttemptState {
  std::shared_ptr<const Message> message;
  Status status;
};

}  // namespace

void AttemptRunner::Run(std::shared_ptr<const Message> message, Done done) {
  PROTEAN_CHECK(!busy_);
  busy_ = true;
  done_ = std::move(done);
  const uint64_t generation = ++generation_;
  started_ = loop_.Now();
  auto state = std::make_shared<AttemptState>();
  state->message = std::move(message);
  const HandlerFn* fn = &handler_.fn;
  HandlerContext ctx{handler_.name, consumer_, started_, database_, Duration{0}};
  std::weak_ptr<bool> alive = alive_;
  auto finish = [this, state, generation, alive] {
    if (alive.expired() || !*alive.lock()) return;
    AttemptResult r;
    if (state->status.ok()) {
      r.outcome = AttemptOutcome::kOk;
    } else if (state->status.code() == StatusCode::kInvalidArgument) {
      r.outcome = AttemptOutcome::kUndecodable;
    } else {
      r.outcome = AttemptOutcome::kFailed;
    }
    r.reason = state->status.ok() ? "" : state->status.ToString();
    Finish(generation, r);
  };
  if (handler_.inline_on_loop && !loop_.simulated()) {
    // On the loop thread: no worker hand-off; completion posted like Offload's.
    HandlerContext inline_ctx = ctx;
    try {
      state->status = (*fn)(*state->message, inline_ctx);
    } catch (const std::exception& e) {
      state->status = Status::Internal(std::string("handler threw: ") + e.what());
    } catch (...) {
      state->status = Status::Internal("handler threw a non-standard exception");
    }
    if (inline_ctx.cost > Duration::zero()) {
      loop_.PostAfter(inline_ctx.cost, finish);
    } else {
      loop_.Post(finish);
    }
  } else {
  loop_.Offload(
      [state, fn, ctx]() mutable -> Duration {
        try {
          state->status = (*fn)(*state->message, ctx);
        } catch (const std::exception& e) {
          state->status = Status::Internal(std::string("handler threw: ") + e.what());
        } catch (...) {
          state->status = Status::Internal("handler threw a non-standard exception");
        }
        return ctx.cost;
      },
      finish);
  }
  if (budget_ && busy_ && generation_ == generation) {
    // Scheduled after the offload: in the simulation a handler that takes
    // exactly its budget completes first (only *past* the budget is a failure).
    timeout_timer_ = loop_.PostAfter(*budget_, [this, generation, alive] {
      if (alive.expired() || !*alive.lock()) return;
      timeout_timer_ = 0;
      char buf[64];
      std::snprintf(buf, sizeof buf, "timeout after %.3f s", ToSecondsF(*budget_));
      Finish(generation, AttemptResult{AttemptOutcome::kTimeout, buf, Duration{0}});
    });
  }
}

void AttemptRunner::Finish(uint64_t generation, const AttemptResult& result) {
  if (!busy_ || generation != generation_) return;  // late or abandoned
  busy_ = false;
  if (timeout_timer_ != 0) {
    loop_.Cancel(timeout_timer_);
    timeout_timer_ = 0;
  }
  AttemptResult r = result;
  r.elapsed = loop_.Now() - started_;
  Done done = std::move(done_);
  done_ = nullptr;
  done(r);
}

void AttemptRunner::Abandon() {
  if (!busy_) return;
  busy_ = false;
  ++generation_;
  if (timeout_timer_ != 0) {
    loop_.Cancel(timeout_timer_);
    timeout_timer_ = 0;
  }
  done_ = nullptr;
}

}  // namespace protean
