#pragma once
// A fault kind is one small class, registered by name (fault_registry.h),
// after FoundationDB's workloads (fdbserver/workloads/RandomClogging.cpp):
//
//   Parse(reader)  reads the kind's own keys of one [[faults]] table (the keys
//                  every kind shares, at_ms / duration_ms / instance, are read
//                  by ParseFault according to the kind's FaultShape);
//   Plan(prng)     draws one seed's instance, a PlannedFault: at_ms, then
//                  duration_ms, then the kind's own ranges, in that order;
//   Prepare(world) before the world opens: adds adapter fault windows or
//                  handler fault data (scripted-handler keys) the world builds
//                  its instances from; or says why the world cannot produce
//                  the fault (the case is then skipped with that reason,
//                  never passed silently);
//   Apply(world)   at at_ms, on the world's loop;
//   Heal(world)    at at_ms + duration_ms (windowed kinds only).
//
// The runner records fault_started before Apply and fault_ended before Heal.
// A parsed Fault is immutable and shared by every run of its scenario.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/bounds.h"
#include "core/config/table_reader.h"
#include "core/runtime/prng.h"

namespace protean::harness {

class World;

// A value written `n` or `[lo, hi]`; drawn per seed.
struct IntRange {
  int64_t lo = 0;
  int64_t hi = 0;
  int64_t Draw(Prng& prng) const { return lo == hi ? lo : prng.UniformInt(lo, hi); }
};

// `key = n` or `[lo, hi]` with min <= lo <= hi <= max; absent: `fallback`.
// Every range is milliseconds: max defaults to the duration bound (1e9 s,
// core/config/bounds.h), so a time plus a window cannot overflow.
IntRange ReadRange(config::TableReader& r, std::string_view key, IntRange fallback, int64_t min = 0,
                   int64_t max = config::kDurationMillisMax);

// Which shared keys a kind takes.
enum class InstanceKey { kNone, kOptional, kRequired };
struct FaultShape {
  bool windowed = false;  // duration_ms required, Heal() at its end
  InstanceKey instance = InstanceKey::kNone;
};

// What a fault may check its keys against while parsing.
struct FaultParseContext {
  int64_t heal_at_ms = 0;
  std::vector<std::string> handlers;  // the scenario's [handlers.<Name>]
  // Instances the scenario starts (instances.count plus one per add_worker
  // fault): `instance` must be below it. 0: not checked.
  int64_t instances = 0;
};

class Fault;

// One seed's draw of a fault. `drawn_ms` is the kind's own drawn duration
// (see each kind), -1 when it has none.
struct PlannedFault {
  const Fault* fault = nullptr;
  int64_t at_ms = 0;
  int64_t duration_ms = 0;  // > 0 for windowed kinds only
  std::optional<int64_t> instance;
  int64_t drawn_ms = -1;
};

class Fault {
 public:
  Fault(std::string_view name, FaultShape shape) : name_(name), shape_(shape) {}
  virtual ~Fault() = default;
  Fault(const Fault&) = delete;
  Fault& operator=(const Fault&) = delete;

  std::string_view name() const { return name_; }
  const FaultShape& shape() const { return shape_; }

  // The shared keys, set by ParseFault.
  IntRange at_ms;
  IntRange duration_ms;
  std::optional<int64_t> instance;

  // Reads the kind's own keys; throws ConfigurationError through `r`.
  virtual void Parse(config::TableReader& r, const FaultParseContext& context) {
    (void)r;
    (void)context;
  }
  // How long after at_ms + duration_ms the fault may still act (at most).
  virtual int64_t TailMs() const { return 0; }
  // True for a kind that starts a new instance (add_worker).
  virtual bool adds_instance() const { return false; }
  // True for a kind that acts on a service every case of a test-mode run
  // shares (CLIENT PAUSE, a PostgreSQL restart): its cases run one at a
  // time, after the others (the serial group).
  virtual bool serial() const { return false; }

  PlannedFault Plan(Prng& prng) const;

  // nullopt when prepared, else why `world` cannot produce this fault.
  virtual std::optional<std::string> Prepare(World& world, const PlannedFault& planned) const {
    (void)world;
    (void)planned;
    return std::nullopt;
  }
  virtual void Apply(World& world, const PlannedFault& planned) const {
    (void)world;
    (void)planned;
  }
  virtual void Heal(World& world, const PlannedFault& planned) const {
    (void)world;
    (void)planned;
  }
  // Fields of fault_started beyond detail and instance (docs/history.md).
  virtual void Describe(const PlannedFault& planned, nlohmann::ordered_json& fields) const {
    (void)planned;
    (void)fields;
  }

 protected:
  // Draws the kind's own ranges into `planned` (after at_ms, duration_ms).
  virtual void PlanOwn(Prng& prng, PlannedFault& planned) const {
    (void)prng;
    (void)planned;
  }

 private:
  std::string name_;
  FaultShape shape_;
};

}  // namespace protean::harness
