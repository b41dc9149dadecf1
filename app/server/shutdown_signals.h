#pragma once
// The shutdown signals of one server process, and the bound on its exit.
//
// The constructor blocks SIGINT, SIGTERM, SIGHUP and SIGUSR2 (this class's
// own wake-up) in the calling thread, so it must run before any other thread
// starts: threads created later inherit the mask and never see the signals.
// Start() then waits for them on a thread of its own:
//   - the first signal calls `first(signal name)` (start the graceful stop);
//   - the second calls `again(name)` (cut the drain short);
//   - a third exits the process at once (ExitProcess(1)).
// Arm(bound) (called by `first`, or by anything else that starts a stop,
// like --run-for) makes the waiter exit the process with 1 if it is still
// running `bound` later: the last resort when a stop hangs (every worker
// thread stuck, an adapter close that never returns).
//
// Thread-safety: Arm and Stop may be called from any thread; the callbacks
// run on the waiter thread and must only post to the loop (or log).

#include <atomic>
#include <functional>
#include <ostream>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/time.h"

namespace protean::cli {

// Flushes stdout and stderr, then ends the process with `code` without
// running destructors (which would wait for stuck worker threads).
[[noreturn]] void ExitProcess(int code);

const char* SignalName(int signal);

class ShutdownSignals {
 public:
  struct Callbacks {
    std::function<void(const std::string& signal)> first;
    std::function<void(const std::string& signal)> again;
  };

  // `err` gets the waiter's own lines (a third signal, an overdue stop).
  ShutdownSignals(const Clock& clock, std::ostream& err);
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  void Start(Callbacks callbacks);
  // The process exits with 1 if it still runs `bound` from now. The first
  // call counts; later ones are ignored.
  void Arm(Duration bound);
  // Ends the waiter (at exit). Idempotent.
  void Stop();

 private:
  void Wait();

  const Clock& clock_;
  std::ostream& err_;
  Callbacks callbacks_;
  std::thread waiter_;
  std::atomic<int64_t> deadline_us_{0};  // 0: not armed
  std::atomic<int64_t> bound_us_{0};
  int signals_seen_ = 0;  // waiter thread only
};

}  // namespace protean::cli
