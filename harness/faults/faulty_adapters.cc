#include "harness/faults/faulty_adapters.h"

#include <algorithm>

#include "core/executor.h"

namespace protean::harness {

namespace {

template <typename T>
void Append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

void AdapterFaultPlans::Add(std::optional<int64_t> instance, AdapterFaultPlan broker,
                            AdapterFaultPlan store) {
  entries_.push_back(Entry{instance, std::move(broker), std::move(store)});
}

AdapterFaultPlan AdapterFaultPlans::For(int64_t index, bool broker) const {
  AdapterFaultPlan plan;
  for (const Entry& e : entries_) {
    if (e.instance && *e.instance != index) continue;
    const AdapterFaultPlan& p = broker ? e.broker : e.store;
    Append(plan.unavailable, p.unavailable);
    Append(plan.lost_acks, p.lost_acks);
    Append(plan.slow, p.slow);
    Append(plan.resets, p.resets);
    Append(plan.paused, p.paused);
  }
  return plan;
}

FaultState::FaultState(const Clock& clock, AdapterFaultPlan plan)
    : clock_(clock), plan_(std::move(plan)) {
  for (const auto& r : plan_.resets) reset_left_.push_back(r.calls);
}

Status FaultState::Before(std::string_view op) {
  const TimePoint now = clock_.Now();
  for (const auto& w : plan_.unavailable) {
    if (w.Covers(now)) return Status::Unavailable("injected fault: backend unavailable");
  }
  {
    MutexLock lock(&mu_);
    for (size_t i = 0; i < plan_.resets.size(); ++i) {
      if (now >= plan_.resets[i].at && reset_left_[i] > 0) {
        --reset_left_[i];
        return Status::Unavailable("injected fault: connection reset by peer during " +
                                   std::string(op.substr(0, op.find('('))));
      }
    }
  }
  Duration latency{0};
  for (const auto& s : plan_.slow) {
    if (s.window.Covers(now)) latency += s.latency;
  }
  for (const auto& w : plan_.paused) {
    if (w.Covers(now)) latency = std::max(latency, Duration(w.until - now));
  }
  // The simulation adds it to the call's virtual cost; a real worker waits.
  ChargeWorkCost(latency);
  return Status::Ok();
}

std::optional<bool> FaultState::LostAck() {
  const TimePoint now = clock_.Now();
  for (const auto& l : plan_.lost_acks) {
    if (l.window.Covers(now)) return l.applied;
  }
  return std::nullopt;
}

Result<int64_t> FaultyBroker::Ack(std::string_view stream, std::string_view group,
                                  const std::vector<std::string>& ids) {
  const std::optional<bool> lost = state_->LostAck();
  if (!lost) return BrokerWrapper::Ack(stream, group, ids);
  if (*lost) (void)BrokerWrapper::Ack(stream, group, ids);  // applied; the reply is lost
  return Status::Timeout("injected fault: no reply to XACK");
}

}  // namespace protean::harness
