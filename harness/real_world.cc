// RealWorld: test mode with in-process engines. The real clock and loop,
// the services of the domain's [test] overlay, and stream and category names
// in a namespace unique to the run.

#include <chrono>
#include <random>

#include "harness/engine_world.h"

namespace protean::harness {
namespace {

constexpr Duration kTeardownMax = Seconds(15);
constexpr int kWorkers = 8;

}  // namespace

RealWorld::RealWorld(WorldOptions options)
    : EngineWorld(std::move(options)), loop_(std::make_unique<RealExecutor>(clock_, kWorkers)) {
  // Unique per run (not per seed): runs against the same servers never
  // share streams or categories. Test mode promises no replay, so this may
  // use a non-seeded source. Message ids too, and the engines' (position
  // records): Message DB keeps every id it ever saw.
  Prng unique(std::random_device{}() ^
              static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::string ns = "h" + unique.Uuid().substr(0, 8) + "x";
  Prng ids = unique.Fork();
  engine_prng_ = unique.Fork();
  Begin(clock_.Now(), std::move(ns), ids);
}

RealWorld::~RealWorld() { Teardown(); }

void RealWorld::Open(const Scenario& scenario) {
  UseScenario(scenario);
  OpenDomain(scenario, AdapterEnv{&clock_}, true);
}

bool RealWorld::Run() {
  loop_->Run();
  return true;
}

void RealWorld::Teardown() {
  if (!loop_) return;
  // Stop live engines gracefully so connections close, bounded.
  int live = 0;
  loop_->Post([this, &live] {
    for (Engine* engine : LiveEngines()) {
      ++live;
      engine->Shutdown("teardown", [this, &live](int) {
        if (--live == 0) loop_->Stop();
      });
    }
    if (live == 0) loop_->Stop();
  });
  loop_->PostAfter(kTeardownMax, [this] { loop_->Stop(); });
  loop_->Run();
  ReleaseEngines();
  loop_.reset();  // joins workers: nothing references the adapters after this
  ReleaseConnections();
  CloseDomain();
}

}  // namespace protean::harness
