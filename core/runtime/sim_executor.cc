#include "core/runtime/sim_executor.h"

#include <algorithm>

namespace protean {

void SimExecutor::Post(Task task) { ready_.push_back(std::move(task)); }

TimerId SimExecutor::PostAt(TimePoint when, Task task) {
  const Key key{when, reorder_ ? tie_prng_.Next() : 0, next_seq_++};
  timers_.emplace(key, std::move(task));
  timer_keys_.emplace(key.seq, key);
  return key.seq;
}

bool SimExecutor::Cancel(TimerId id) {
  auto it = timer_keys_.find(id);
  if (it == timer_keys_.end()) return false;
  timers_.erase(it->second);
  timer_keys_.erase(it);
  return true;
}

void SimExecutor::Offload(Work work, Task done) {
  TakeChargedWorkCost();        // nothing charged before this work counts
  const Duration own = work();  // first: the work charges while it runs
  const Duration cost = own + TakeChargedWorkCost();
  if (cost <= Duration::zero() && !reorder_) {
    Post(std::move(done));
  } else {
    PostAt(clock_.Now() + std::max(cost, Duration::zero()), std::move(done));
  }
}

bool SimExecutor::Step() {
  // Everything posted for "now" runs before time moves on to the next timer.
  Task task;
  if (!ready_.empty()) {
    task = std::move(ready_.front());
    ready_.pop_front();
  } else if (!timers_.empty()) {
    auto it = timers_.begin();
    if (it->first.when > clock_.Now()) clock_.Set(it->first.when);
    task = std::move(it->second);
    timer_keys_.erase(it->first.seq);
    timers_.erase(it);
  } else {
    return false;
  }
  ++tasks_run_;
  task();
  return true;
}

uint64_t SimExecutor::RunUntilIdle(uint64_t steps_max) {
  uint64_t n = 0;
  while (n < steps_max && Step()) ++n;
  return n;
}

uint64_t SimExecutor::RunUntil(TimePoint deadline, uint64_t steps_max) {
  uint64_t n = 0;
  while (n < steps_max) {
    if (ready_.empty() && (timers_.empty() || timers_.begin()->first.when > deadline)) break;
    Step();
    ++n;
  }
  if (clock_.Now() < deadline && n < steps_max) clock_.Set(deadline);
  return n;
}

}  // namespace protean
