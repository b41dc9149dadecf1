#include "harness/network_faults.h"

#include <algorithm>

namespace protean::harness {
namespace {

Result<std::unique_ptr<proxy::FaultProxy>> StartProxy(const std::string& name,
                                                      const std::string& upstream) {
  proxy::FaultProxyOptions o;
  o.name = name;
  o.upstream = upstream;
  auto p = std::make_unique<proxy::FaultProxy>(o);
  Status st = p->Start();
  if (!st.ok())
    return Status::Unavailable("fault proxy " + name + " -> " + upstream + ": " + st.message());
  return p;
}

}  // namespace

void NetworkFaults::SetUpstreams(std::string broker, std::string event_store) {
  broker_upstream_ = std::move(broker);
  event_store_upstream_ = std::move(event_store);
}

Result<NetworkFaults::Addresses> NetworkFaults::StartFor(int64_t index) {
  Addresses out;
  Proxies& p = proxies_[index];
  p = Proxies{};
  const std::string w = "w" + std::to_string(index);
  if (!broker_upstream_.empty()) {
    PROTEAN_ASSIGN_OR_RETURN(p.broker, StartProxy(w + "-broker", broker_upstream_));
    out.broker = p.broker->listen_address();
  }
  if (!event_store_upstream_.empty()) {
    PROTEAN_ASSIGN_OR_RETURN(p.event_store, StartProxy(w + "-event-store", event_store_upstream_));
    out.event_store = p.event_store->listen_address();
  }
  for (const Active& a : active_) {
    proxy::FaultProxy* target = p.Of(a.service);
    if (target != nullptr && (!a.instance || *a.instance == index)) (void)target->AddToxic(a.toxic);
  }
  return out;
}

void NetworkFaults::StopAll() {
  for (auto& [index, p] : proxies_) {
    if (p.broker) p.broker->Stop();
    if (p.event_store) p.event_store->Stop();
  }
  proxies_.clear();
}

void NetworkFaults::Switch(std::optional<int64_t> instance, ProxiedService service,
                           const proxy::Toxic& toxic, bool on) {
  if (on) {
    active_.push_back(Active{instance, service, toxic});
  } else {
    active_.erase(std::remove_if(active_.begin(), active_.end(),
                                 [&](const Active& a) {
                                   return a.instance == instance && a.service == service &&
                                          a.toxic.name == toxic.name;
                                 }),
                  active_.end());
  }
  for (auto& [index, p] : proxies_) {
    proxy::FaultProxy* target = p.Of(service);
    if (target == nullptr || (instance && *instance != index)) continue;
    if (on) {
      (void)target->AddToxic(toxic);
    } else {
      (void)target->RemoveToxic(toxic.name);
    }
  }
}

}  // namespace protean::harness
