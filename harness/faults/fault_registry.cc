#include "harness/faults/fault_registry.h"

#include "core/config/configuration_error.h"
#include "core/status.h"

namespace protean::harness {

// One per kind, defined in the kind's file.
void RegisterBrokerUnavailable(FaultRegistry& registry);
void RegisterEventStoreUnavailable(FaultRegistry& registry);
void RegisterLostAck(FaultRegistry& registry);
void RegisterSlowReplies(FaultRegistry& registry);
void RegisterConnectionReset(FaultRegistry& registry);
void RegisterConsumerCrash(FaultRegistry& registry);
void RegisterSigterm(FaultRegistry& registry);
void RegisterClockJump(FaultRegistry& registry);
void RegisterHandlerErrors(FaultRegistry& registry);
void RegisterHandlerSlow(FaultRegistry& registry);
void RegisterAddWorker(FaultRegistry& registry);
void RegisterRemoveWorker(FaultRegistry& registry);
void RegisterPause(FaultRegistry& registry);
void RegisterRedisRestart(FaultRegistry& registry);
void RegisterRedisClientPause(FaultRegistry& registry);
void RegisterRedisClientKill(FaultRegistry& registry);
void RegisterRedisDebugSleep(FaultRegistry& registry);
void RegisterPostgresRestart(FaultRegistry& registry);
void RegisterPostgresTerminate(FaultRegistry& registry);
void RegisterSlowLink(FaultRegistry& registry);
void RegisterBrokerPartition(FaultRegistry& registry);

namespace {

FaultRegistry MakeBuiltin() {
  FaultRegistry r;
  RegisterBrokerUnavailable(r);
  RegisterEventStoreUnavailable(r);
  RegisterLostAck(r);
  RegisterSlowReplies(r);
  RegisterConnectionReset(r);
  RegisterConsumerCrash(r);
  RegisterSigterm(r);
  RegisterClockJump(r);
  RegisterHandlerErrors(r);
  RegisterHandlerSlow(r);
  RegisterAddWorker(r);
  RegisterRemoveWorker(r);
  RegisterPause(r);
  RegisterRedisRestart(r);
  RegisterRedisClientPause(r);
  RegisterRedisClientKill(r);
  RegisterRedisDebugSleep(r);
  RegisterPostgresRestart(r);
  RegisterPostgresTerminate(r);
  RegisterSlowLink(r);
  RegisterBrokerPartition(r);
  return r;
}

void ReadSharedKeys(config::TableReader& r, Fault& f, const FaultParseContext& context) {
  f.at_ms = ReadRange(r, "at_ms", IntRange{0, 0});
  if (f.shape().windowed) {
    if (!r.Has("duration_ms")) {
      r.Fail("duration_ms", config::kConfigInvalidValue, "missing required key 'duration_ms'");
    }
    f.duration_ms = ReadRange(r, "duration_ms", IntRange{0, 0}, 1);
  }
  if (f.shape().instance == InstanceKey::kNone) return;
  f.instance = r.OptionalInt("instance", 0, 1000);
  if (f.shape().instance == InstanceKey::kRequired && !f.instance) {
    r.Fail("instance", config::kConfigInvalidValue, "missing required key 'instance'");
  }
  if (f.instance && context.instances > 0 && *f.instance >= context.instances) {
    r.Fail("instance", config::kConfigInvalidValue,
           "instance " + std::to_string(*f.instance) + ", but the scenario starts " +
               std::to_string(context.instances) +
               " instances (instances.count plus one per add_worker fault), numbered from 0");
  }
}

}  // namespace

void FaultRegistry::Add(std::string_view name, Factory factory) {
  const bool added = factories_.emplace(std::string(name), std::move(factory)).second;
  PROTEAN_CHECK(added);
}

std::unique_ptr<Fault> FaultRegistry::Create(std::string_view name) const {
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : it->second();
}

std::vector<std::string_view> FaultRegistry::names() const {
  std::vector<std::string_view> out;
  for (const auto& [name, factory] : factories_) out.push_back(name);
  return out;
}

const FaultRegistry& BuiltinFaults() {
  static const FaultRegistry registry = MakeBuiltin();
  return registry;
}

std::shared_ptr<const Fault> ParseFault(config::TableReader& r, const FaultParseContext& context,
                                        const FaultRegistry& registry) {
  if (!r.Has("kind")) r.Fail("kind", config::kConfigInvalidValue, "missing required key 'kind'");
  const std::vector<std::string_view> names = registry.names();
  std::unique_ptr<Fault> f = registry.Create(r.Enum("kind", "", names));
  ReadSharedKeys(r, *f, context);
  f->Parse(r, context);
  const bool windowed = f->shape().windowed;
  const int64_t ends = f->at_ms.hi + (windowed ? f->duration_ms.hi : 0) + f->TailMs();
  if (ends > context.heal_at_ms) {
    r.Fail(windowed ? "duration_ms" : "at_ms", config::kConfigInvalidValue,
           "the fault can last until " + std::to_string(ends) +
               " ms, after [phases] heal_at_ms = " + std::to_string(context.heal_at_ms));
  }
  r.RejectUnknownKeys();
  return f;
}

}  // namespace protean::harness
