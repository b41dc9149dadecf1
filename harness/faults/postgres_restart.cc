// postgres_restart: `pg_ctl restart -m immediate` at at_ms (as user
// postgres when root): every PostgreSQL connection is cut, the server
// recovers and comes back; clients reconnect. The event store (Message DB)
// and the database of every case are on it: these cases run in the serial
// group. `down_ms` (default 1500) is how long the simulation's equivalent
// lasts: the event store and database unavailable to every instance.

#include "harness/faults/service_fault.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class PostgresRestart final : public ServiceFault {
 public:
  static constexpr std::string_view kName = "postgres_restart";
  PostgresRestart() : ServiceFault(kName, {false, InstanceKey::kNone}) {}
  bool serial() const override { return true; }

  void Parse(config::TableReader& r, const FaultParseContext&) override {
    down_ms_ = r.Int("down_ms", 1500, 1, 600000);
  }
  int64_t TailMs() const override { return down_ms_; }

 protected:
  void AddTo(const TimeWindow& window, AdapterFaultPlan&, AdapterFaultPlan& store) const override {
    store.unavailable.push_back(window);
  }
  int64_t EquivalentMs() const override { return down_ms_; }
  std::optional<std::string> PrepareService(ServiceControl& services) const override {
    std::string why = services.WhyNoPostgresControl();
    if (why.empty()) return std::nullopt;
    return why;
  }
  Status ApplyService(World& world, ServiceControl& services, const PlannedFault&) const override {
    return services.RestartPostgres(world.files_dir());
  }

 private:
  int64_t down_ms_ = 1500;
};

}  // namespace

void RegisterPostgresRestart(FaultRegistry& registry) { registry.Add<PostgresRestart>(); }

}  // namespace protean::harness
