#pragma once
// PeriodicThread: a thread of its own that runs `pass` after `first_delay`,
// then every `interval`, until Stop; the background work of `protean server`
// (the metrics refresher, the inbox feeder). Stop wakes the wait at once and
// waits for the pass under way.
//
// Thread-safety: Start and Stop from one thread; `pass` runs on the
// periodic thread only.

#include <functional>
#include <thread>

#include "core/mutex.h"
#include "core/time.h"

namespace protean::cli {

class PeriodicThread {
 public:
  PeriodicThread() = default;
  ~PeriodicThread() { Stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void Start(Duration first_delay, Duration interval, std::function<void()> pass);
  void Stop();

 private:
  Mutex mu_;
  CondVar wake_;
  bool stop_ PROTEAN_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace protean::cli
