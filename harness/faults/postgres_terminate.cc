// postgres_terminate: pg_terminate_backend of every PostgreSQL connection of
// this run's `protean server` children at at_ms (found by their
// application_name, "protean-<run>-w<i>"; the harness's own and other
// cases' are untouched). Clients reconnect. Simulation: the next event-store
// call of every instance fails as a connection reset.

#include "harness/faults/service_fault.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

class PostgresTerminate final : public ServiceFault {
 public:
  static constexpr std::string_view kName = "postgres_terminate";
  PostgresTerminate() : ServiceFault(kName, {false, InstanceKey::kNone}) {}

 protected:
  void AddTo(const TimeWindow& window, AdapterFaultPlan&, AdapterFaultPlan& store) const override {
    store.resets.push_back({window.from, 1});
  }
  Status ApplyService(World& world, ServiceControl& services, const PlannedFault&) const override {
    Result<int64_t> n = services.TerminateBackends(world.ApplicationPrefix(), world.files_dir());
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::NotFound("no backend of this run's children to terminate");
    return Status::Ok();
  }
};

}  // namespace

void RegisterPostgresTerminate(FaultRegistry& registry) { registry.Add<PostgresTerminate>(); }

}  // namespace protean::harness
