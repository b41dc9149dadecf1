#include "app/server/periodic_thread.h"

#include <chrono>

namespace protean::cli {

void PeriodicThread::Start(Duration first_delay, Duration interval, std::function<void()> pass) {
  {
    MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this, first_delay, interval, pass = std::move(pass)] {
    MutexLock lock(&mu_);
    const auto stopping = [this]() PROTEAN_REQUIRES(mu_) { return stop_; };
    wake_.WaitFor(lock, std::chrono::microseconds(first_delay.count()), stopping);
    while (!stop_) {
      lock.Unlock();
      pass();
      lock.Lock();
      wake_.WaitFor(lock, std::chrono::microseconds(interval.count()), stopping);
    }
  });
}

void PeriodicThread::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

}  // namespace protean::cli
