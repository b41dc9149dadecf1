#include "harness/proxy/internal/control_state.h"

#include <algorithm>

namespace protean::harness::proxy::internal {

Status ControlState::Add(const Toxic& toxic) {
  PROTEAN_RETURN_IF_ERROR(ValidateToxic(toxic));
  MutexLock lock(&mu_);
  for (const ToxicEntry& e : toxics_) {
    if (e.toxic.name == toxic.name) {
      return Status::Conflict("toxic " + toxic.name + " already exists");
    }
  }
  Put(toxic);
  Changed(lock);
  return Status::Ok();
}

Status ControlState::Update(const Toxic& toxic) {
  PROTEAN_RETURN_IF_ERROR(ValidateToxic(toxic));
  MutexLock lock(&mu_);
  const bool found = std::any_of(toxics_.begin(), toxics_.end(),
                                 [&](const ToxicEntry& e) { return e.toxic.name == toxic.name; });
  if (!found) return Status::NotFound("toxic " + toxic.name + " not found");
  Put(toxic);
  Changed(lock);
  return Status::Ok();
}

Status ControlState::Remove(const std::string& name) {
  MutexLock lock(&mu_);
  if (!Erase(name)) return Status::NotFound("toxic " + name + " not found");
  Changed(lock);
  return Status::Ok();
}

void ControlState::RemoveAll() {
  MutexLock lock(&mu_);
  toxics_.clear();
  Changed(lock);
}

std::vector<Toxic> ControlState::toxics() const {
  MutexLock lock(&mu_);
  std::vector<Toxic> out;
  out.reserve(toxics_.size());
  for (const ToxicEntry& e : toxics_) out.push_back(e.toxic);
  return out;
}

void ControlState::SetEnabled(bool enabled) {
  MutexLock lock(&mu_);
  enabled_ = enabled;
  Changed(lock);
}

bool ControlState::enabled() const {
  MutexLock lock(&mu_);
  return enabled_;
}

Status ControlState::Schedule(const std::vector<TimelineEntry>& entries, TimePoint start) {
  for (const TimelineEntry& e : entries) PROTEAN_RETURN_IF_ERROR(ValidateTimelineEntry(e));
  MutexLock lock(&mu_);
  for (const TimelineEntry& e : entries) {
    const TimePoint on = start + std::chrono::milliseconds(e.at_ms);
    timeline_.emplace(on, TimelineEvent{true, e.toxic});
    if (e.duration_ms > 0) {
      timeline_.emplace(on + std::chrono::milliseconds(e.duration_ms),
                        TimelineEvent{false, e.toxic});
    }
  }
  Changed(lock);
  return Status::Ok();
}

void ControlState::ClearTimeline() {
  MutexLock lock(&mu_);
  timeline_.clear();
  Changed(lock);
}

size_t ControlState::timeline_pending() const {
  MutexLock lock(&mu_);
  return timeline_.size();
}

ControlState::Snapshot ControlState::Read() const {
  MutexLock lock(&mu_);
  Snapshot s{version_, enabled_, toxics_};
  for (const ToxicEntry& e : toxics_) {
    if (e.toxic.type == ToxicType::kDown) s.enabled = false;
  }
  return s;
}

uint64_t ControlState::version() const {
  MutexLock lock(&mu_);
  return version_;
}

TimePoint ControlState::AdvanceTimeline(TimePoint now) {
  MutexLock lock(&mu_);
  bool changed = false;
  while (!timeline_.empty() && timeline_.begin()->first <= now) {
    const TimelineEvent& event = timeline_.begin()->second;
    if (event.add) {
      Put(event.toxic);
      changed = true;
    } else {
      changed = Erase(event.toxic.name) || changed;
    }
    timeline_.erase(timeline_.begin());
  }
  const TimePoint next = timeline_.empty() ? kNever : timeline_.begin()->first;
  if (changed) ++version_;  // the caller is the loop: no wake-up needed
  return next;
}

void ControlState::Put(const Toxic& toxic) {
  ToxicEntry entry{toxic, generation_next_++};
  for (ToxicEntry& e : toxics_) {
    if (e.toxic.name == toxic.name) {
      e = std::move(entry);
      return;
    }
  }
  toxics_.push_back(std::move(entry));
}

bool ControlState::Erase(const std::string& name) {
  const auto it = std::find_if(toxics_.begin(), toxics_.end(),
                               [&](const ToxicEntry& e) { return e.toxic.name == name; });
  if (it == toxics_.end()) return false;
  toxics_.erase(it);
  return true;
}

void ControlState::Changed(MutexLock& lock) {
  ++version_;
  lock.Unlock();
  if (on_change_) on_change_();
}

}  // namespace protean::harness::proxy::internal
