#pragma once
// Worlds whose instances are Engines in the harness's process, each with its
// own connections over the domain's shared adapters (FaultyBroker and
// FaultyEventStore carrying the instance's adapter fault plan, plain
// wrappers for databases and caches), as processes share a Redis.
//
// EngineWorld does the instances; SimulatedWorld (sim_world.cc) adds the
// simulated clock and loop and the memory backends. (Test mode runs real
// processes instead: process_world.h.) Everything runs on the loop thread.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.h"
#include "core/runtime/sim_executor.h"
#include "core/storage_wrappers.h"
#include "harness/faults/faulty_adapters.h"
#include "harness/world.h"

namespace protean::harness {

class EngineWorld : public World {
 public:
  AdapterFaultPlans* adapter_faults() override { return &adapter_faults_; }
  void StartInstance(int64_t index) override;
  bool CrashInstance(int64_t index) override;
  // A second call while it drains cuts the drain (Engine::CutDrain).
  bool StopInstance(int64_t index) override;
  int64_t NextInstanceIndex() const override;
  bool Draining() const override;

 protected:
  explicit EngineWorld(WorldOptions options) : World(std::move(options)) {}
  ~EngineWorld() override = default;

  struct Instance {
    std::string name;
    int64_t index = 0;
    std::optional<ConsumerGroup> partition;
    std::unique_ptr<FaultyBroker> broker;
    std::unique_ptr<FaultyEventStore> store;
    std::vector<std::unique_ptr<DatabaseWrapper>> databases;
    std::vector<std::unique_ptr<CacheWrapper>> caches;
    std::unique_ptr<Engine> engine;
    bool live = false;
    bool signalled = false;  // this run was asked to stop
    TimerId probe_timer = 0;
  };

  // Remembers what instances need from the scenario (call from Open).
  void UseScenario(const Scenario& scenario);
  // Destroys the engines (first) and then their connections.
  void ReleaseEngines();
  void ReleaseConnections();

  Prng engine_prng_{1};

 private:
  Instance* Find(int64_t index) const;
  Instance& FindOrAdd(int64_t index);
  EngineAdapters Connect(Instance& inst);
  void AddSubscriptions(Instance& inst);
  void Probe(Instance& inst);

  AdapterFaultPlans adapter_faults_;
  MetricsRegistry metrics_;
  std::string scenario_file_;
  bool partition_event_store_ = false;
  int64_t partition_size_ = 1;
  std::vector<std::unique_ptr<Instance>> instances_;
  // A restarted instance's crashed engine and its connections stay alive
  // (late callbacks may still reference them) until teardown.
  std::vector<std::unique_ptr<Engine>> retired_engines_;
  std::vector<std::unique_ptr<FaultyBroker>> retired_brokers_;
  std::vector<std::unique_ptr<FaultyEventStore>> retired_stores_;
  std::vector<std::string> log_;
};

// Memory mode: the deterministic simulation.
class SimulatedWorld final : public EngineWorld {
 public:
  explicit SimulatedWorld(WorldOptions options);
  ~SimulatedWorld() override;

  const Clock& clock() const override { return clock_; }
  Executor& loop() override { return *loop_; }
  bool can_jump_clock() const override { return true; }
  void JumpClock(Duration by) override { clock_.Set(clock_.Now() + by); }
  void Open(const Scenario& scenario) override;
  bool Run() override;
  void Stop() override { stopped_ = true; }
  void Teardown() override;

 private:
  SimClock clock_;
  std::unique_ptr<SimExecutor> loop_;
  bool stopped_ = false;
};

}  // namespace protean::harness
