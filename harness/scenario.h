#pragma once
// A scenario file (scenarios/README.md), loaded and validated. Loading never
// guesses: an unknown key, a wrong type, an out-of-range value or a fault
// window that ends after heal_at_ms is a ConfigurationError naming the file,
// the key and line:column.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "core/runtime/prng.h"

namespace protean::harness {

// A value written `n` or `[lo, hi]`; drawn per seed.
struct IntRange {
  int64_t lo = 0;
  int64_t hi = 0;
  int64_t Draw(Prng& prng) const { return lo == hi ? lo : prng.UniformInt(lo, hi); }
};

struct WorkloadItem {
  IntRange at_ms;
  std::string stream;
  bool event_store = false;
  int64_t count = 1;
  IntRange interval_ms;
  std::string type = "Event";
  int64_t streams = 1;
  bool undecodable = false;
};

enum class FaultKind {
  kBrokerUnavailable,
  kEventStoreUnavailable,
  kLostAck,
  kSlowReplies,
  kConnectionReset,
  kConsumerCrash,
  kSigterm,
  kClockJump,
  kHandlerErrors,
  kHandlerSlow,
  kAddWorker,
  kRemoveWorker,
};
std::string_view FaultKindName(FaultKind kind);

struct FaultSpec {
  FaultKind kind;
  IntRange at_ms;
  IntRange duration_ms;
  std::optional<int64_t> instance;
  bool applied = false;            // lost_ack
  IntRange latency_ms;             // slow_replies
  int64_t calls = 1;               // connection_reset
  std::optional<IntRange> restart_after_ms;  // consumer_crash
  IntRange jump_ms;                // clock_jump
  std::optional<std::string> handler;  // handler_errors, handler_slow
  IntRange extra_ms;               // handler_slow
};

struct Scenario {
  std::filesystem::path file;
  std::string suite;
  std::string name;
  std::string description;
  std::vector<std::string> modes;  // "memory", "test"
  toml::table domain;              // [domain], merged over the harness base
  toml::table handlers;            // [handlers]
  int64_t instances = 1;
  bool partition_event_store = false;
  std::vector<WorkloadItem> workload;
  std::vector<FaultSpec> faults;
  int64_t heal_at_ms = 0;
  int64_t converge_within_ms = 30000;
  int64_t min_duration_ms = 0;
  nlohmann::ordered_json expect = nlohmann::ordered_json::object();

  std::string id() const { return suite + "/" + name; }
  bool RunsIn(const std::string& mode) const;
};

// Loads one file; the suite is its folder's name.
Scenario LoadScenario(const std::filesystem::path& file);

// Every *.toml under the given files/folders (recursively), sorted; a path
// that does not exist is a ConfigurationError (CONFIG_NOT_FOUND).
std::vector<std::filesystem::path> FindScenarioFiles(const std::vector<std::string>& paths);

}  // namespace protean::harness
