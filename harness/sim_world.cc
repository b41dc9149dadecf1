// SimulatedWorld: memory mode. One SimClock/SimExecutor, the memory
// backends, every source of randomness seeded from the run's seed; reads no
// wall clock and never sleeps.

#include "harness/engine_world.h"

namespace protean::harness {

SimulatedWorld::SimulatedWorld(WorldOptions options)
    // Same-instant completions and timers in an order drawn from the seed.
    : EngineWorld(std::move(options)),
      loop_(std::make_unique<SimExecutor>(clock_, options_.seed ^ 0xC2B2AE3D27D4EB4FULL)) {
  const uint64_t seed = options_.seed;
  Begin(clock_.Now(), "");
  engine_prng_ = Prng(seed ^ 0x5DEECE66DULL);
}

SimulatedWorld::~SimulatedWorld() { Teardown(); }

void SimulatedWorld::Open(const Scenario& scenario) {
  UseScenario(scenario);
  OpenDomain(scenario, AdapterEnv{&clock_}, false);
}

bool SimulatedWorld::Run() {
  while (!stopped_ && loop_->Step()) {
  }
  return stopped_;
}

void SimulatedWorld::Teardown() {
  if (!loop_) return;
  ReleaseEngines();
  loop_.reset();  // pending tasks hold the last references to subscriptions
  ReleaseConnections();
  CloseDomain();
}

}  // namespace protean::harness
