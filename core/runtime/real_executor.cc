#include "core/runtime/real_executor.h"

#include <chrono>
#include <iterator>

namespace protean {

TimePoint RealClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

RealExecutor::RealExecutor(const Clock& clock, int workers) : clock_(clock) {
  {
    MutexLock lock(&work_mu_);
    workers_alive_ = workers;
  }
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerMain(); });
}

RealExecutor::~RealExecutor() {
  {
    MutexLock lock(&work_mu_);
    work_stop_ = true;
  }
  work_cv_.NotifyAll();
  for (auto& t : workers_) t.join();
}

void RealExecutor::Post(Task task) {
  {
    MutexLock lock(&mu_);
    ready_.push_back(std::move(task));
  }
  loop_cv_.NotifyOne();
}

TimerId RealExecutor::PostAt(TimePoint when, Task task) {
  TimerId id;
  {
    MutexLock lock(&mu_);
    const Key key{when, next_seq_++};
    id = key.seq;
    timers_.emplace(key, std::move(task));
    timer_keys_.emplace(id, key);
  }
  loop_cv_.NotifyOne();
  return id;
}

bool RealExecutor::Cancel(TimerId id) {
  MutexLock lock(&mu_);
  auto it = timer_keys_.find(id);
  if (it == timer_keys_.end()) return false;
  timers_.erase(it->second);
  timer_keys_.erase(it);
  return true;
}

void RealExecutor::Offload(Work work, Task done) {
  {
    MutexLock lock(&work_mu_);
    if (drop_work_) return;  // after StopWorkers; destroyed outside the lock
    work_.emplace_back(std::move(work), std::move(done));
  }
  work_cv_.NotifyOne();
}

// The completions of one sequence on their way to the loop. The worker
// posts a task to run them only when there was none waiting: while the loop
// has not come to it, later completions join it, in order, instead of waking
// the loop once each.
struct RealExecutor::Completions {
  Mutex mu;
  std::vector<Task> waiting PROTEAN_GUARDED_BY(mu);

  // Returns true when `done` is the first waiting (a task must be posted).
  bool Add(Task done) {
    MutexLock lock(&mu);
    waiting.push_back(std::move(done));
    return waiting.size() == 1;
  }
  void RunWaiting() {
    std::vector<Task> batch;
    {
      MutexLock lock(&mu);
      batch.swap(waiting);
    }
    for (Task& done : batch) done();
  }
};

void RealExecutor::OffloadSequence(Sequence items) {
  auto shared = std::make_shared<Sequence>(std::move(items));
  auto completions = std::make_shared<Completions>();
  Offload(
      [this, shared, completions]() -> Duration {
        for (auto& [work, done] : *shared) {
          if (drop_work_) break;  // StopWorkers: start no further item
          TakeChargedWorkCost();
          const Duration cost = work() + TakeChargedWorkCost();
          if (cost > Duration::zero()) std::this_thread::sleep_for(cost);
          if (completions->Add(std::move(done))) {
            Post([completions] { completions->RunWaiting(); });
          }
        }
        return Duration{0};
      },
      [] {});
}

void RealExecutor::WorkerMain() {
  for (;;) {
    std::pair<Work, Task> item;
    {
      MutexLock lock(&work_mu_);
      work_cv_.Wait(lock,
                    [&]() PROTEAN_REQUIRES(work_mu_) { return work_stop_ || !work_.empty(); });
      if (work_.empty() || drop_work_) {  // stopping and drained, or dropping
        --workers_alive_;
        exit_cv_.NotifyAll();
        return;
      }
      item = std::move(work_.front());
      work_.pop_front();
    }
    TakeChargedWorkCost();
    const Duration own = item.first();  // first: the work charges while it runs
    const Duration cost = own + TakeChargedWorkCost();
    // A scripted handler's declared duration really passes on this worker thread.
    if (cost > Duration::zero()) std::this_thread::sleep_for(cost);
    Post(std::move(item.second));
  }
}

int RealExecutor::StopWorkers(Duration grace) {
  std::deque<std::pair<Work, Task>> dropped;
  MutexLock lock(&work_mu_);
  work_stop_ = true;
  drop_work_ = true;
  dropped.swap(work_);
  work_cv_.NotifyAll();
  exit_cv_.WaitFor(lock, grace, [&]() PROTEAN_REQUIRES(work_mu_) { return workers_alive_ == 0; });
  const int busy = workers_alive_;
  lock.Unlock();
  dropped.clear();  // the closures may own anything; destroyed outside the lock
  return busy;
}

void RealExecutor::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    stop_seen_.store(true, std::memory_order_release);
  }
  loop_cv_.NotifyAll();
}

void RealExecutor::Run() {
  MutexLock lock(&mu_);
  stop_ = false;
  stop_seen_.store(false, std::memory_order_release);
  std::deque<Task> batch;
  while (!stop_) {
    if (!ready_.empty()) {
      // Every task posted so far, taken at once: one lock for the batch,
      // not one per task. Tasks they post run in the next batch.
      batch.swap(ready_);
      lock.Unlock();
      while (!batch.empty()) {
        Task task = std::move(batch.front());
        batch.pop_front();
        task();
        if (stop_seen_.load(std::memory_order_acquire)) break;
      }
      lock.Lock();
      // Stopped inside the batch: what it did not run stays queued, first.
      ready_.insert(ready_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
      batch.clear();
      continue;
    }
    if (!timers_.empty()) {
      auto it = timers_.begin();
      const Duration wait = it->first.when - clock_.Now();
      if (wait <= Duration::zero()) {
        Task task = std::move(it->second);
        timer_keys_.erase(it->first.seq);
        timers_.erase(it);
        lock.Unlock();
        task();
        lock.Lock();
        continue;
      }
      loop_cv_.WaitFor(lock, wait);
      continue;
    }
    loop_cv_.Wait(lock);
  }
}

}  // namespace protean
