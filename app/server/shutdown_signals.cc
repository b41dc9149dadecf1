#include "app/server/shutdown_signals.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace protean::cli {
namespace {

// How often the waiter looks at the exit deadline while no signal comes.
constexpr int64_t kDeadlinePollMs = 100;

sigset_t ShutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR2);  // wakes the waiter at exit
  return set;
}

}  // namespace

void ExitProcess(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

const char* SignalName(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal";
  }
}

ShutdownSignals::ShutdownSignals(const Clock& clock, std::ostream& err) : clock_(clock), err_(err) {
  const sigset_t set = ShutdownSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ShutdownSignals::~ShutdownSignals() { Stop(); }

void ShutdownSignals::Start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  waiter_ = std::thread([this] { Wait(); });
}

void ShutdownSignals::Arm(Duration bound) {
  int64_t expected = 0;
  const int64_t deadline = ToMicros(clock_.Now() + bound);
  if (deadline_us_.compare_exchange_strong(expected, deadline)) {
    bound_us_ = std::chrono::duration_cast<std::chrono::microseconds>(bound).count();
  }
}

void ShutdownSignals::Stop() {
  if (!waiter_.joinable()) return;
  pthread_kill(waiter_.native_handle(), SIGUSR2);
  waiter_.join();
}

void ShutdownSignals::Wait() {
  const sigset_t set = ShutdownSet();
  const timespec poll{0, kDeadlinePollMs * 1000 * 1000};
  for (;;) {
    const int sig = sigtimedwait(&set, nullptr, &poll);
    if (sig == SIGUSR2) return;  // our own wake-up at exit
    if (sig > 0) {
      const std::string name = SignalName(sig);
      ++signals_seen_;
      if (signals_seen_ == 1) {
        callbacks_.first(name);
      } else if (signals_seen_ == 2) {
        err_ << "protean: " << name << " again: cutting the drain short\n";
        err_.flush();
        callbacks_.again(name);
      } else {
        err_ << "protean: " << name << " a third time: exiting now\n";
        ExitProcess(1);
      }
      continue;
    }
    if (errno != EAGAIN && errno != EINTR) continue;
    const int64_t deadline = deadline_us_.load();
    if (deadline != 0 && ToMicros(clock_.Now()) >= deadline) {
      err_ << "protean: the stop did not finish within its bound of "
           << static_cast<double>(bound_us_.load()) / 1e6 << " s: exiting now\n";
      ExitProcess(1);
    }
  }
}

}  // namespace protean::cli
