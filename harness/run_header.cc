#include "harness/run_header.h"

#include "app/history/header_json.h"
#include "harness/declared_policy.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

using nlohmann::ordered_json;

// Every instance that may run: the initial ones, then one per add_worker.
ordered_json InstancesJson(const Scenario& s) {
  ordered_json instances = ordered_json::object();
  int64_t total = s.instances;
  for (const auto& f : s.faults) total += f->adds_instance() ? 1 : 0;
  for (int64_t i = 0; i < total; ++i) {
    ordered_json part = nullptr;
    if (s.partition_event_store && i < s.instances) part = {{"member", i}, {"size", s.instances}};
    instances["w" + std::to_string(i)] = {{"partition", part}};
  }
  return instances;
}

}  // namespace

ordered_json RunHeader(const Scenario& s, const std::string& mode, uint64_t seed,
                       const World& world) {
  ordered_json subs = ordered_json::object();
  for (const ResolvedHandler& h : world.handlers()) {
    subs[h.handler->name] = SubscriptionJson(*h.handler, h.config);
  }
  const config::DomainConfig& dc = world.domain().config();
  ordered_json header;
  header["history"] = 1;
  header["scenario"] = s.id();
  header["file"] = s.file.string();
  header["seed"] = seed;
  header["mode"] = mode;
  header["start_us"] = ToMicros(world.start());
  header["drain_timeout_us"] = dc.server.drain_timeout.count();
  header["dlq"] = DlqJson(dc.server.dlq);
  header["subscriptions"] = subs;
  header["phases"] = {{"heal_at_us", s.heal_at_ms * 1000},
                      {"converge_within_us", s.converge_within_ms * 1000}};
  header["expect"] = s.expect;
  header["declared"] = DeclaredPolicyJson(s);
  header["instances"] = InstancesJson(s);
  return header;
}

}  // namespace protean::harness
