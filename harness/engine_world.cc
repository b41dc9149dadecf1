#include "harness/engine_world.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/config/configuration_error.h"

namespace protean::harness {
namespace {

constexpr size_t kLogLinesMax = 200;

std::string InstanceName(int64_t index) { return "w" + std::to_string(index); }

// RedisOptions::socket_timeout's default (adapters/real/redis_options.h).
constexpr Duration kRedisSocketTimeoutDefault = Seconds(10);

// The socket timeout of the Redis connections the simulated broker stands
// for in the twin of a fault (FaultState): the test overlay's
// [brokers.default] socket_timeout, else the base's, else Redis's default.
Duration TwinSocketTimeout(const toml::table& document) {
  for (const toml::node_view<const toml::node> broker :
       {document["test"]["brokers"]["default"], document["brokers"]["default"]}) {
    if (std::optional<double> s = broker["socket_timeout"].value<double>()) return SecondsF(*s);
  }
  return kRedisSocketTimeoutDefault;
}

}  // namespace

void EngineWorld::UseScenario(const Scenario& scenario) {
  scenario_file_ = scenario.file.string();
  partition_event_store_ = scenario.partition_event_store;
  partition_size_ = scenario.instances;
}

EngineWorld::Instance* EngineWorld::Find(int64_t index) const {
  for (const auto& inst : instances_) {
    if (inst->index == index) return inst.get();
  }
  return nullptr;
}

EngineWorld::Instance& EngineWorld::FindOrAdd(int64_t index) {
  if (Instance* inst = Find(index)) {
    retired_engines_.push_back(std::move(inst->engine));
    retired_brokers_.push_back(std::move(inst->broker));
    retired_stores_.push_back(std::move(inst->store));
    return *inst;
  }
  instances_.push_back(std::make_unique<Instance>());
  Instance& inst = *instances_.back();
  inst.index = index;
  inst.name = InstanceName(index);
  if (partition_event_store_) inst.partition = ConsumerGroup{index, partition_size_};
  return inst;
}

EngineAdapters EngineWorld::Connect(Instance& inst) {
  EngineAdapters shared = domain_->adapters();
  EngineAdapters mine;
  auto broker_faults = std::make_shared<FaultState>(clock(), adapter_faults_.BrokerPlan(inst.index),
                                                    TwinSocketTimeout(document_));
  auto store_faults =
      std::make_shared<FaultState>(clock(), adapter_faults_.EventStorePlan(inst.index));
  inst.broker = std::make_unique<FaultyBroker>(shared.broker("default"), broker_faults);
  inst.store = std::make_unique<FaultyEventStore>(shared.event_store, store_faults);
  inst.databases.clear();
  inst.caches.clear();
  for (auto& [n, db] : shared.databases) {
    inst.databases.push_back(std::make_unique<DatabaseWrapper>(db));
    mine.databases.emplace_back(n, inst.databases.back().get());
  }
  for (auto& [n, c] : shared.caches) {
    inst.caches.push_back(std::make_unique<CacheWrapper>(c));
    mine.caches.emplace_back(n, inst.caches.back().get());
  }
  mine.brokers = {{"default", inst.broker.get()}};
  mine.event_store = inst.store.get();
  return mine;
}

void EngineWorld::AddSubscriptions(Instance& inst) {
  for (const ResolvedHandler& r : resolved_) {
    SubscriptionConfig c = r.config;
    if (c.type == SubscriptionType::kEventStore && inst.partition) {
      c.consumer_group_member = inst.partition->member;
      c.consumer_group_size = inst.partition->size;
    }
    Status st = inst.engine->AddSubscription(*r.handler, c);
    if (!st.ok()) {
      throw config::ConfigurationError(
          config::kConfigInvalidValue,
          config::ErrorLocation{scenario_file_, r.handler->source, 0, 0}, st.message());
    }
  }
}

void EngineWorld::StartInstance(int64_t index) {
  Instance& inst = FindOrAdd(index);
  EngineAdapters adapters = Connect(inst);
  EngineOptions options = domain_->MakeEngineOptions(inst.name);
  options.log = [this](const LogRecord& r) {
    if (log_.size() < kLogLinesMax) log_.push_back(FormatLogLine(r));
  };
  inst.engine =
      std::make_unique<Engine>(loop(), engine_prng_, metrics_, adapters, options, recorder_);
  AddSubscriptions(inst);
  recorder_->Record(clock().Now(), "instance_added", {{"instance", inst.name}});
  inst.live = true;
  inst.signalled = false;
  recorder_->SetLive(inst.name, true);
  inst.engine->Start();
  Probe(inst);
}

bool EngineWorld::CrashInstance(int64_t index) {
  Instance* inst = Find(index);
  if (inst == nullptr || !inst->live) return false;
  inst->engine->Crash();
  inst->live = false;
  recorder_->SetLive(inst->name, false);
  return true;
}

bool EngineWorld::StopInstance(int64_t index) {
  Instance* inst = Find(index);
  if (inst == nullptr || !inst->live) return false;
  recorder_->Record(clock().Now(), "signal", {{"instance", inst->name}, {"detail", "SIGTERM"}});
  if (inst->signalled) {
    inst->engine->CutDrain();  // a second signal, as `protean server` takes it
    return true;
  }
  inst->signalled = true;
  inst->engine->Shutdown("SIGTERM", [this, inst](int) {
    inst->live = false;
    recorder_->SetLive(inst->name, false);
    if (inst->probe_timer != 0) loop().Cancel(inst->probe_timer);
    inst->probe_timer = 0;
  });
  Probe(*inst);
  return true;
}

// Records a readiness probe; while the engine drains, probes again every
// kProbeEvery.
void EngineWorld::Probe(Instance& inst) {
  HealthResponse r = inst.engine->Ready();
  std::string status = "ok";
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_object() && body.contains("status")) status = body["status"].get<std::string>();
  recorder_->Record(clock().Now(), "probe",
                    {{"instance", inst.name}, {"value", r.status}, {"outcome", status}});
  if (inst.engine->state() != Engine::State::kDraining) return;
  Instance* p = &inst;
  inst.probe_timer = loop().PostAfter(kProbeEvery, [this, p] {
    p->probe_timer = 0;
    if (p->engine && p->engine->state() == Engine::State::kDraining) Probe(*p);
  });
}

int64_t EngineWorld::NextInstanceIndex() const {
  int64_t next = 0;
  for (const auto& inst : instances_) next = std::max(next, inst->index + 1);
  return next;
}

bool EngineWorld::Draining() const {
  for (const auto& inst : instances_) {
    if (inst->engine && inst->engine->state() == Engine::State::kDraining) return true;
  }
  return false;
}

void EngineWorld::ReleaseEngines() {
  for (auto& inst : instances_) inst->engine.reset();
  retired_engines_.clear();
}

void EngineWorld::ReleaseConnections() {
  instances_.clear();
  retired_brokers_.clear();
  retired_stores_.clear();
}

}  // namespace protean::harness
