#pragma once
// Mutex, MutexLock and CondVar: std::mutex, a scoped lock and
// std::condition_variable with clang thread-safety annotations
// (core/thread_annotations.h), as leveldb's port::Mutex / MutexLock /
// port::CondVar wrap theirs. Members a mutex guards are declared
// `PROTEAN_GUARDED_BY(mu_)`, and clang's -Wthread-safety (ci/thread_safety.sh)
// proves each access holds it. Under gcc these are plain std types with no
// cost. Not recursive; not copyable.
//
//   mutable Mutex mu_;
//   int count_ PROTEAN_GUARDED_BY(mu_) = 0;
//   ...
//   MutexLock lock(&mu_);
//   while (count_ == 0) changed_.Wait(lock);

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "core/thread_annotations.h"

namespace protean {

class PROTEAN_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() PROTEAN_ACQUIRE() { mu_.lock(); }
  void Unlock() PROTEAN_RELEASE() { mu_.unlock(); }
  // Tells the analysis the caller holds it (no run-time check: std::mutex
  // cannot say who owns it).
  void AssertHeld() const PROTEAN_ASSERT_CAPABILITY(this) {}

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// Holds `mu` from construction to destruction; Unlock()/Lock() let a caller
// drop it around a call that must not run under it (a callback, a blocking
// I/O) and take it back.
class PROTEAN_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) PROTEAN_ACQUIRE(mu) : lock_(mu->mu_) {}
  ~MutexLock() PROTEAN_RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() PROTEAN_RELEASE() { lock_.unlock(); }
  void Lock() PROTEAN_ACQUIRE() { lock_.lock(); }

 private:
  friend class CondVar;
  std::unique_lock<std::mutex> lock_;
};

// Waits release the lock while blocked and hold it again on return, as
// std::condition_variable's do. Without a predicate a wake-up may be spurious:
// wait in a loop on the condition. A predicate that reads guarded members
// says so, `[&]() PROTEAN_REQUIRES(mu_) { return done_; }`, since the
// analysis sees a lambda as a function of its own.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(MutexLock& lock) { cv_.wait(lock.lock_); }
  template <typename Predicate>
  void Wait(MutexLock& lock, Predicate done) {
    cv_.wait(lock.lock_, std::move(done));
  }
  // False when the deadline passed (the condition may still be false).
  template <typename Clock, typename Duration>
  bool WaitUntil(MutexLock& lock, const std::chrono::time_point<Clock, Duration>& deadline) {
    return cv_.wait_until(lock.lock_, deadline) == std::cv_status::no_timeout;
  }
  template <typename Rep, typename Period>
  bool WaitFor(MutexLock& lock, const std::chrono::duration<Rep, Period>& d) {
    return cv_.wait_for(lock.lock_, d) == std::cv_status::no_timeout;
  }
  // False when the time ran out with `done` still false.
  template <typename Rep, typename Period, typename Predicate>
  bool WaitFor(MutexLock& lock, const std::chrono::duration<Rep, Period>& d, Predicate done) {
    return cv_.wait_for(lock.lock_, d, std::move(done));
  }
  template <typename Clock, typename Duration, typename Predicate>
  bool WaitUntil(MutexLock& lock, const std::chrono::time_point<Clock, Duration>& deadline,
                 Predicate done) {
    return cv_.wait_until(lock.lock_, deadline, std::move(done));
  }
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace protean
