#pragma once
// The real runtime (test mode and the shipped server): RealClock reads the
// system clock; RealExecutor runs the engine loop on the thread that calls
// Run() and a fixed pool of worker threads for Offload (blocking I/O, user
// handlers). Completions are posted back to the loop, so engine state is
// only ever touched by the loop thread.
//
// Thread-safety: Post, PostAt, Cancel, Offload and Stop may be called from
// any thread. Timers wait on std::condition_variable with a deadline derived
// from the Clock; a task queue and the pool are bounded only by memory.
//
// Stopping: Stop() ends Run(). The destructor stops the pool after running
// the work still queued, and joins every worker, so it waits for work that
// is running (a handler stuck in user code cannot be interrupted).
// StopWorkers(grace) is the bounded stop: it drops queued work, waits at most
// `grace` and says how many workers are still busy; a process that must not
// wait for them exits without destroying the executor (protean server does).

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/executor.h"
#include "core/mutex.h"

namespace protean {

class RealClock final : public Clock {
 public:
  TimePoint Now() const override;
};

class RealExecutor final : public Executor {
 public:
  // `clock` must outlive the executor. `workers` threads serve Offload.
  RealExecutor(const Clock& clock, int workers);
  ~RealExecutor() override;
  RealExecutor(const RealExecutor&) = delete;
  RealExecutor& operator=(const RealExecutor&) = delete;

  const Clock& clock() const override { return clock_; }
  void Post(Task task) override;
  TimerId PostAt(TimePoint when, Task task) override;
  bool Cancel(TimerId id) override;
  void Offload(Work work, Task done) override;
  // The whole sequence on one worker: one hand-off; each done posted as its
  // work finishes (a work's declared cost passes on the worker first), the
  // ones the loop has not come to yet run together, in order.
  void OffloadSequence(Sequence items) override;
  bool simulated() const override { return false; }

  // Runs the loop on the calling thread until Stop(). Tasks still queued when
  // Stop() is seen are dropped (timers) or run (posted ones).
  void Run();
  void Stop();

  // The bounded stop of the worker pool, after Run() returned: work queued but
  // not started is dropped (its completion never runs), later Offload calls
  // are dropped, a running sequence (OffloadSequence) starts no further item,
  // and running work gets up to `grace` to return. Returns how
  // many workers are still busy then (0: all have exited). Idempotent.
  int StopWorkers(Duration grace);

 private:
  struct Key {
    TimePoint when;
    uint64_t seq;
    bool operator<(const Key& o) const { return when != o.when ? when < o.when : seq < o.seq; }
  };
  struct Completions;
  void WorkerMain();

  const Clock& clock_;
  Mutex mu_;
  CondVar loop_cv_;
  std::deque<Task> ready_ PROTEAN_GUARDED_BY(mu_);
  std::map<Key, Task> timers_ PROTEAN_GUARDED_BY(mu_);
  std::unordered_map<TimerId, Key> timer_keys_ PROTEAN_GUARDED_BY(mu_);
  uint64_t next_seq_ PROTEAN_GUARDED_BY(mu_) = 1;
  bool stop_ PROTEAN_GUARDED_BY(mu_) = false;
  // stop_, readable without mu_ between the tasks of a batch.
  std::atomic<bool> stop_seen_{false};

  Mutex work_mu_;
  CondVar work_cv_;
  CondVar exit_cv_;  // a worker exited
  std::deque<std::pair<Work, Task>> work_ PROTEAN_GUARDED_BY(work_mu_);
  bool work_stop_ PROTEAN_GUARDED_BY(work_mu_) = false;
  // StopWorkers: Offload drops, workers exit without draining, a running
  // sequence starts no further item. Written under work_mu_, read without it.
  std::atomic<bool> drop_work_{false};
  int workers_alive_ PROTEAN_GUARDED_BY(work_mu_) = 0;
  std::vector<std::thread> workers_;
};

}  // namespace protean
