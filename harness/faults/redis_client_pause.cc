// redis_client_pause: CLIENT PAUSE duration_ms ALL on the run's Redis at
// at_ms: every client's commands wait until the pause ends (then run). The
// shared Redis pauses for every case: these cases run in the serial group.
// Simulation: a broker call starting in the window waits until its end.

#include "harness/faults/service_fault.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class RedisClientPause final : public ServiceFault {
 public:
  static constexpr std::string_view kName = "redis_client_pause";
  RedisClientPause() : ServiceFault(kName, {true, InstanceKey::kNone}) {}
  bool serial() const override { return true; }

 protected:
  void AddTo(const TimeWindow& window, AdapterFaultPlan& broker, AdapterFaultPlan&) const override {
    broker.paused.push_back(window);
  }
  Status ApplyService(World& world, ServiceControl& services,
                      const PlannedFault& p) const override {
    return services.RedisCommand({"CLIENT", "PAUSE", std::to_string(p.duration_ms), "ALL"},
                                 world.files_dir());
  }
};

}  // namespace

void RegisterRedisClientPause(FaultRegistry& registry) { registry.Add<RedisClientPause>(); }

}  // namespace protean::harness
