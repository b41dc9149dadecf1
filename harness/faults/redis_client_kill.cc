// redis_client_kill: CLIENT KILL TYPE normal on the run's Redis at at_ms:
// every normal client connection is closed by the server (the engine's
// pools and blocked reads, and the harness's own); clients reconnect. On
// the shared Redis that is every case's: these cases run in the serial
// group. Simulation: the next broker call of every instance fails as a
// connection reset.

#include "harness/faults/service_fault.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class RedisClientKill final : public ServiceFault {
 public:
  static constexpr std::string_view kName = "redis_client_kill";
  RedisClientKill() : ServiceFault(kName, {false, InstanceKey::kNone}) {}
  bool serial() const override { return true; }

 protected:
  void AddTo(const TimeWindow& window, AdapterFaultPlan& broker, AdapterFaultPlan&) const override {
    broker.resets.push_back({window.from, 1});
  }
  Status ApplyService(World& world, ServiceControl& services, const PlannedFault&) const override {
    return services.RedisCommand({"CLIENT", "KILL", "TYPE", "normal"}, world.files_dir());
  }
};

}  // namespace

void RegisterRedisClientKill(FaultRegistry& registry) { registry.Add<RedisClientKill>(); }

}  // namespace protean::harness
