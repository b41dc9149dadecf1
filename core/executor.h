#pragma once
// An Executor is the engine's loop: all engine state is touched only from
// tasks it runs, one at a time, in a deterministic order.
//
// - Post(task): run soon, FIFO with other posted tasks.
// - PostAt(when, task): run once the Clock reaches `when`; timers due at the
//   same instant run in the order they were posted.
// - Offload(work, done): run `work` off the loop (the real executor uses a
//   worker thread; the simulation runs it inline) and then `done` on the loop.
// - OffloadSequence(items): run the items' works one after another off the
//   loop, each item's `done` on the loop after its work: the real executor
//   hands the whole sequence to one worker in one hand-off (the engine's
//   batched handler attempts); the simulation runs each work once the
//   previous one's cost has passed, as chained Offloads would.
//   `work` returns an extra cost: time the work takes beyond its own running
//   time (a scripted handler's declared duration). The simulation advances
//   virtual time by that cost before `done` runs; the real executor makes the
//   worker wait that long. Blocking I/O and user handler code go through here.
//
// Implementations: RealExecutor (core/runtime/real_executor.h) and
// SimExecutor (core/runtime/sim_executor.h). Thread-safety: Post and PostAt
// may be called from any thread on the real executor; the simulation is
// single-threaded.

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace protean {

using TimerId = uint64_t;

// Code running inside Offload work (an adapter decorator injecting a slow
// reply, a scripted handler) may charge extra time to the work in progress:
// the simulation adds it to the work's virtual cost, the real executor makes
// the worker wait that long. Per thread; taken by the executor after the work.
void ChargeWorkCost(Duration d);
Duration TakeChargedWorkCost();

class Executor {
 public:
  using Task = std::function<void()>;
  using Work = std::function<Duration()>;

  virtual ~Executor() = default;

  virtual const Clock& clock() const = 0;
  TimePoint Now() const { return clock().Now(); }

  virtual void Post(Task task) = 0;
  virtual TimerId PostAt(TimePoint when, Task task) = 0;
  TimerId PostAfter(Duration delay, Task task) { return PostAt(Now() + delay, std::move(task)); }
  // Cancels a timer that has not run yet; returns false if it already ran or is unknown.
  virtual bool Cancel(TimerId id) = 0;
  virtual void Offload(Work work, Task done) = 0;
  using Sequence = std::vector<std::pair<Work, Task>>;
  // Default: chained Offloads (each work after the previous done).
  virtual void OffloadSequence(Sequence items);
  // True for the simulation: no wall time passes, adapters complete inline.
  virtual bool simulated() const = 0;
};

}  // namespace protean
