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

// The reply the current call on this thread will not get (FaultState::After).
thread_local std::optional<Status> t_reply_lost;

FaultState::FaultState(const Clock& clock, AdapterFaultPlan plan, Duration reply_timeout)
    : clock_(clock), plan_(std::move(plan)), reply_timeout_(reply_timeout) {
  for (const auto& r : plan_.resets) reset_left_.push_back(r.calls);
}

Status FaultState::Before(std::string_view op, Duration block) {
  t_reply_lost.reset();
  const TimePoint now = clock_.Now();
  for (const auto& w : plan_.unavailable) {
    if (w.Covers(now)) return Status::Unavailable("injected fault: backend unavailable");
  }
  const std::string name(op.substr(0, op.find('(')));
  {
    MutexLock lock(&mu_);
    for (size_t i = 0; i < plan_.resets.size(); ++i) {
      if (now >= plan_.resets[i].at && reset_left_[i] > 0) {
        --reset_left_[i];
        return Status::Unavailable("injected fault: connection reset by peer during " + name);
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
  const Duration gives_up = reply_timeout_ + block;
  if (reply_timeout_ > Duration{0} && latency > gives_up) {
    // The server runs the call; its reply comes after the client gave up.
    latency = gives_up;
    t_reply_lost =
        Status::Timeout("injected fault: no reply to " + name + " within " +
                        std::to_string(gives_up.count() / 1000) + " ms (socket timeout)");
  }
  // The simulation adds it to the call's virtual cost; a real worker waits.
  ChargeWorkCost(latency);
  return Status::Ok();
}

Status FaultState::After() {
  if (!t_reply_lost) return Status::Ok();
  Status lost = std::move(*t_reply_lost);
  t_reply_lost.reset();
  return lost;
}

std::optional<bool> FaultState::LostAck() {
  const TimePoint now = clock_.Now();
  for (const auto& l : plan_.lost_acks) {
    if (l.window.Covers(now)) return l.applied;
  }
  return std::nullopt;
}

thread_local Duration FaultyBroker::block_{0};

namespace {
// How long the engine lets a read block on a broker that can (it caps
// blocking_timeout_ms at 1 s, core/engine/stream_subscription.cc): the
// memory broker cannot, so its reads come with block 0, but the Redis
// connection the twin stands for would have waited this long for entries.
constexpr Duration kEngineReadBlockMax = Millis(1000);
}  // namespace

Result<std::vector<StreamEntry>> FaultyBroker::ReadNew(std::string_view stream,
                                                       std::string_view group,
                                                       std::string_view consumer, int count,
                                                       Duration block) {
  block_ = block > Duration{0} ? block : kEngineReadBlockMax;
  auto read = BrokerWrapper::ReadNew(stream, group, consumer, count, block);
  block_ = Duration{0};
  return read;
}

Result<int64_t> FaultyBroker::Ack(std::string_view stream, std::string_view group,
                                  const std::vector<std::string>& ids) {
  const std::optional<bool> lost = state_->LostAck();
  if (!lost) return BrokerWrapper::Ack(stream, group, ids);
  if (*lost) (void)BrokerWrapper::Ack(stream, group, ids);  // applied; the reply is lost
  return Status::Timeout("injected fault: no reply to XACK");
}

}  // namespace protean::harness
