#include "harness/world.h"

#include "adapters/memory/register.h"
#include "adapters/real/register.h"
#include "core/config/configuration_error.h"
#include "harness/engine_world.h"
#include "harness/process_world.h"

namespace protean::harness {
namespace {

// The runner reports scenario errors as ConfigurationError (RunScenario's
// contract); a Status from the Domain carries the same code and location.
void ThrowIfConfigError(const Status& st) {
  if (st.ok()) return;
  const ErrorSource* src = st.source();
  if (src == nullptr) throw std::runtime_error(st.ToString());
  throw config::ConfigurationError(
      src->code, config::ErrorLocation{src->file, src->key_path, src->line, src->column},
      src->what);
}

}  // namespace

World::World(WorldOptions options)
    : options_(std::move(options)),
      scripted_(std::make_shared<ScriptedRuntime>(options_.seed + 2)) {
  handler_faults_.SetDecisionSeed(options_.seed);
}

void World::Begin(TimePoint start, std::string ns, std::string id_tag) {
  start_ = start;
  ns_ = std::move(ns);
  ids_ = Prng(options_.seed * 0x9E3779B97F4A7C15ULL + 1);
  id_tag_ = std::move(id_tag);
}

std::string World::NextMessageId() {
  std::string id = ids_.Uuid();
  if (id_tag_.size() == 8) id.replace(id.size() - 8, 8, id_tag_);
  return id;
}

void World::OpenDomain(const Scenario& scenario, const AdapterEnv& env, bool real_services) {
  document_ = ScenarioDomainTable(scenario, handler_faults_);
  for (const WorkloadItem& w : scenario.workload) {
    if (!w.event_store) broker_streams_.push_back(Stream(w.stream));
  }
  // Memory mode applies a [memory] overlay when the document has one (a
  // user's domain.toml, `run --domain`); the harness's own base has none.
  const std::string overlay = real_services ? "test" : document_.contains("memory") ? "memory" : "";
  config::DomainConfig config =
      ScenarioDomainConfig(scenario, document_, overlay, options_.env_lookup);
  RegisterMemoryAdapters(registry_);
  RegisterRealAdapters(registry_);
  if (!real_services) RegisterMemoryTwins(registry_);  // redis_pubsub: its memory twin
  domain_ = std::make_unique<Domain>(std::move(config), registry_, env);
  // Scripted and C++ handlers, with stream names in this run's namespace.
  ThrowIfConfigError(domain_->RegisterHandlers(
      options_.handlers != nullptr ? *options_.handlers : HandlerCatalog{}, scripted_, ns_));
  Result<std::vector<ResolvedHandler>> resolved = domain_->ResolveSubscriptions();
  ThrowIfConfigError(resolved.status());
  resolved_ = std::move(resolved).value();
  Status st = domain_->Init(real_services);
  if (!st.ok()) {
    if (!real_services) throw std::runtime_error(st.ToString());
    throw ServiceUnavailable(st.message());
  }
  if (!real_services) return;
  for (auto& [name, db] : domain_->adapters().databases) {
    Status setup = db->Setup();
    if (!setup.ok()) {
      throw ServiceUnavailable("databases." + name + ": setup failed: " + setup.ToString());
    }
  }
}

void World::CloseDomain() {
  if (domain_) domain_->Close();
}

std::unique_ptr<World> MakeWorld(const WorldOptions& options) {
  if (options.mode == "memory") return std::make_unique<SimulatedWorld>(options);
  return std::make_unique<ProcessWorld>(options);
}

}  // namespace protean::harness
