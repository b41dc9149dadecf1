#pragma once
// The runtime-changeable part of a FaultProxy: its toxics (in the order they
// were added), its enabled flag and its pending timeline events.
//
// Thread-safe: the API mutates it from any thread; the loop thread reads a
// snapshot whenever version() moved and advances the timeline. Every change
// bumps the version and calls `on_change` (the loop's wake-up) after the
// lock is released.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "harness/proxy/internal/pipe.h"
#include "harness/proxy/toxic.h"

namespace protean::harness::proxy::internal {

class ControlState {
 public:
  explicit ControlState(std::function<void()> on_change) : on_change_(std::move(on_change)) {}

  // Conflict if the name is taken; InvalidArgument if the toxic is invalid.
  Status Add(const Toxic& toxic);
  // NotFound if no toxic has this name.
  Status Update(const Toxic& toxic);
  Status Remove(const std::string& name);
  void RemoveAll();
  std::vector<Toxic> toxics() const;

  void SetEnabled(bool enabled);
  bool enabled() const;  // the flag only; see Snapshot::enabled

  // Adds the entries to the pending timeline, relative to `start`.
  Status Schedule(const std::vector<TimelineEntry>& entries, TimePoint start);
  void ClearTimeline();
  size_t timeline_pending() const;

  struct Snapshot {
    uint64_t version = 0;
    bool enabled = true;  // the flag and no `down` toxic
    std::vector<ToxicEntry> toxics;
  };
  Snapshot Read() const;
  uint64_t version() const;

  // Applies the timeline events due at `now` (an add of an existing name
  // updates it; a remove of a missing one is ignored) and returns the
  // instant of the next one (kNever: none left).
  TimePoint AdvanceTimeline(TimePoint now);

 private:
  struct TimelineEvent {
    bool add = true;
    Toxic toxic;  // removal: only the name is used
  };

  // Requires mu_.
  void Put(const Toxic& toxic) PROTEAN_REQUIRES(mu_);
  bool Erase(const std::string& name) PROTEAN_REQUIRES(mu_);
  // Counts the change and calls on_change_ after releasing the caller's
  // `lock` (the caller touches no guarded state after it). Not analysed:
  // clang 14 cannot follow a scoped lock released through a reference.
  void Changed(MutexLock& lock) PROTEAN_REQUIRES(mu_) PROTEAN_NO_THREAD_SAFETY_ANALYSIS;

  const std::function<void()> on_change_;
  mutable Mutex mu_;
  std::vector<ToxicEntry> toxics_ PROTEAN_GUARDED_BY(mu_);
  bool enabled_ PROTEAN_GUARDED_BY(mu_) = true;
  // Equal instants keep their order.
  std::multimap<TimePoint, TimelineEvent> timeline_ PROTEAN_GUARDED_BY(mu_);
  uint64_t generation_next_ PROTEAN_GUARDED_BY(mu_) = 1;
  uint64_t version_ PROTEAN_GUARDED_BY(mu_) = 1;
};

}  // namespace protean::harness::proxy::internal
