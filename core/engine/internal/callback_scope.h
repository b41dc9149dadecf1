#pragma once
// CallbackScope: the engine's one liveness mechanism for loop callbacks.
//
// An engine object (a subscription, the engine, an attempt runner) hands
// blocking work to a worker and gets a completion back on the loop later; by
// then the object may have been abandoned (drain cut-off, crash) or
// destroyed. Every such completion is wrapped by the object's scope:
//
//   Guard(fn)       runs fn only while the scope is alive and Invalidate()
//                   was not called since Guard: the usual case; a completion
//                   for abandoned work is dropped.
//   GuardAlive(fn)  runs fn while the scope is alive, even after Invalidate():
//                   for completions whose effect must still be recorded (an
//                   ack the broker applied, a position the store wrote).
//
// Callbacks capture the owner by raw pointer; the scope's shared state tells
// them whether the owner still exists. Single-threaded: Guard, Invalidate,
// the destructor and the wrapped callbacks all run on the loop thread (or
// after the loop stopped), so the state needs no lock.

#include <cstdint>
#include <memory>
#include <utility>

namespace protean::internal {

class CallbackScope {
 public:
  CallbackScope() : state_(std::make_shared<State>()) {}
  ~CallbackScope() { state_->alive = false; }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

  template <typename Fn>
  auto Guard(Fn fn) const {
    return [state = state_, epoch = state_->epoch, fn = std::move(fn)](auto&&... args) mutable {
      if (state->alive && state->epoch == epoch) fn(std::forward<decltype(args)>(args)...);
    };
  }

  template <typename Fn>
  auto GuardAlive(Fn fn) const {
    return [state = state_, fn = std::move(fn)](auto&&... args) mutable {
      if (state->alive) fn(std::forward<decltype(args)>(args)...);
    };
  }

  // Drops every Guard()ed callback handed out so far.
  void Invalidate() { ++state_->epoch; }

 private:
  struct State {
    uint64_t epoch = 0;
    bool alive = true;
  };
  std::shared_ptr<State> state_;
};

}  // namespace protean::internal
