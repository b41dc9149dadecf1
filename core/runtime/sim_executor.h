#pragma once
// The simulation runtime: a SimClock that moves only when the SimExecutor
// jumps to the next timer, and a single-threaded executor. A 1 s retry delay or
// a 10 s drain costs no wall time. Same inputs and seed => same order of
// every task, so histories are byte-identical.
//
// Order: posted tasks run FIFO before time moves; timers run by instant.
// Timers due at the same instant run in posting order, or, when the executor
// reorders (constructed with a seed), in an order drawn from that seed: what
// a real loop does not promise (which of two replies, timers or worker
// results due together comes first) differs between seeds, so code that
// depends on a lucky order fails in some of them. Same seed, same order.
// Offload runs `work` inline and delivers `done` at now + cost (reordering:
// as a timer, even at cost 0, so same-instant completions are shuffled too).
// Not thread-safe: everything happens on the thread that calls Run*.

#include <cstdint>
#include <deque>
#include <map>
#include <unordered_map>
#include <utility>

#include "core/executor.h"
#include "core/runtime/prng.h"

namespace protean {

class SimClock final : public Clock {
 public:
  // 2026-01-01T00:00:00Z: stream ids and timestamps look like real ones.
  static constexpr int64_t kDefaultStartMillis = 1767225600000;

  explicit SimClock(TimePoint start = FromMillis(kDefaultStartMillis)) : now_(start) {}
  TimePoint Now() const override { return now_; }
  // Moves time to `t` (may go backwards: the clock-jump fault).
  void Set(TimePoint t) { now_ = t; }
  void Advance(Duration d) { now_ += d; }

 private:
  TimePoint now_;
};

class SimExecutor final : public Executor {
 public:
  explicit SimExecutor(SimClock& clock) : clock_(clock) {}
  // Reorders what is due at the same instant in an order drawn from `seed`.
  SimExecutor(SimClock& clock, uint64_t reorder_seed)
      : clock_(clock), reorder_(true), tie_prng_(reorder_seed) {}

  const Clock& clock() const override { return clock_; }
  SimClock& sim_clock() { return clock_; }
  void Post(Task task) override;
  TimerId PostAt(TimePoint when, Task task) override;
  bool Cancel(TimerId id) override;
  void Offload(Work work, Task done) override;
  bool simulated() const override { return true; }

  // Runs one task (a posted one, else the earliest timer, moving the clock to
  // it). Returns false when there is nothing left to run.
  bool Step();
  // Runs tasks until none is left or `steps_max` ran; returns the number run.
  uint64_t RunUntilIdle(uint64_t steps_max = UINT64_MAX);
  // Runs every task due at or before `deadline`, then sets the clock to
  // `deadline` (if it is later). Returns the number of tasks run.
  uint64_t RunUntil(TimePoint deadline, uint64_t steps_max = UINT64_MAX);
  uint64_t RunFor(Duration d, uint64_t steps_max = UINT64_MAX) {
    return RunUntil(clock_.Now() + d, steps_max);
  }

  size_t pending_tasks() const { return ready_.size() + timers_.size(); }
  uint64_t tasks_run() const { return tasks_run_; }

 private:
  struct Key {
    TimePoint when;
    uint64_t tie;  // 0, or a draw when reordering
    uint64_t seq;
    bool operator<(const Key& o) const {
      if (when != o.when) return when < o.when;
      return tie != o.tie ? tie < o.tie : seq < o.seq;
    }
  };
  SimClock& clock_;
  bool reorder_ = false;
  Prng tie_prng_{0};
  std::deque<Task> ready_;
  std::map<Key, Task> timers_;
  std::unordered_map<TimerId, Key> timer_keys_;
  uint64_t next_seq_ = 1;
  uint64_t tasks_run_ = 0;
};

}  // namespace protean
