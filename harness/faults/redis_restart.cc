// redis_restart: Redis is killed (SIGKILL) at at_ms and started again at
// at_ms + duration_ms. In test mode the case runs against a redis-server of
// its own (ServiceControl), so no other case sees the restart:
//   persistence = true (default): AOF with appendfsync always, so nothing
//     acknowledged is lost;
//   persistence = false: no persistence, so every stream, consumer group and
//     pending list is gone after the restart; the engine must notice its lost
//     groups and recreate them (subscription.group_recreated in its log).
// Simulation: the broker is unavailable to every instance in the window
// and, without persistence, the run's broker streams are deleted at at_ms.

#include "harness/faults/service_fault.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class RedisRestart final : public ServiceFault {
 public:
  static constexpr std::string_view kName = "redis_restart";
  RedisRestart() : ServiceFault(kName, {true, InstanceKey::kNone}) {}

  void Parse(config::TableReader& r, const FaultParseContext&) override {
    persistence_ = r.Bool("persistence", true);
  }
  void Describe(const PlannedFault&, nlohmann::ordered_json& fields) const override {
    fields["persistence"] = persistence_;
  }

 protected:
  void AddTo(const TimeWindow& window, AdapterFaultPlan& broker, AdapterFaultPlan&) const override {
    broker.unavailable.push_back(window);
  }
  std::optional<std::string> PrepareService(ServiceControl& services) const override {
    services.UsePrivateRedis(persistence_);
    return std::nullopt;
  }
  Status ApplyService(World&, ServiceControl& services, const PlannedFault&) const override {
    return services.KillPrivateRedis();
  }
  Status HealService(World&, ServiceControl& services, const PlannedFault&) const override {
    return services.RestartPrivateRedis();
  }
  void ApplySimulated(World& world, const PlannedFault&) const override {
    if (persistence_) return;
    Broker* broker = world.domain().adapters().broker("default");
    for (const std::string& stream : world.broker_streams()) {
      Result<int64_t> deleted = broker->DeleteStream(stream);
      if (!deleted.ok()) world.ReportProblem("redis_restart: " + deleted.status().ToString());
    }
  }

 private:
  bool persistence_ = true;
};

}  // namespace

void RegisterRedisRestart(FaultRegistry& registry) { registry.Add<RedisRestart>(); }

}  // namespace protean::harness
