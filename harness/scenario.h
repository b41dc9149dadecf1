#pragma once
// A scenario file (scenarios/README.md), loaded and validated. Loading never
// guesses: an unknown key, a wrong type, an out-of-range value, an unknown
// fault kind or a fault window that ends after heal_at_ms is a
// ConfigurationError naming the file, the key and line:column.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "harness/faults/fault.h"

namespace protean::harness {

struct WorkloadItem {
  IntRange at_ms;
  std::string stream;
  bool event_store = false;
  int64_t count = 1;
  IntRange interval_ms;
  std::string type = "Event";
  int64_t streams = 1;
  bool undecodable = false;
  // metadata.domain.priority of each message (broker only); with
  // [server.priority_lanes] enabled, below its threshold the message goes to
  // `{stream}:{backfill_suffix}` (core/config/priority_lanes.h LaneStream).
  std::optional<int64_t> priority;
  // The payloads published, as JSON text: message n of this item carries
  // payloads[n % size]; "{}" when empty. From `payload` (one JSON document
  // in a string) or `payloads_file` (JSON lines, relative to the scenario).
  std::vector<std::string> payloads;
  // Not from a file: the id to publish with ("" = the world's next one);
  // `replay --sim` pins the ids a test-mode run published.
  std::string id;
};

// A user's domain.toml under the scenarios (`protean-harness run --domain`):
// its tables except [handlers] go under the scenario's [domain], its
// [handlers] under the scenario's [handlers] (the scenario wins, key by key).
struct UserDomain {
  std::string file;
  toml::table domain;
  toml::table handlers;
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
  // [instances] named: in test mode each `protean server` gets --instance wN
  // (true) or runs with the identity it generates, {host}-{pid}-{6 hex}, as
  // a deployed server does (false). The memory mode always names them.
  bool named_instances = true;
  std::vector<WorkloadItem> workload;
  // [[faults]], each parsed by its registered kind (harness/faults/).
  std::vector<std::shared_ptr<const Fault>> faults;
  int64_t heal_at_ms = 0;
  int64_t converge_within_ms = 30000;
  int64_t min_duration_ms = 0;
  nlohmann::ordered_json expect = nlohmann::ordered_json::object();

  // [scenario] differential = "reason": why the memory and test runs of this
  // scenario cannot be compared per message ("" = they are compared).
  std::string differential_reason;
  // [scenario] differential_attempts = "reason": compared, but not the
  // attempt counts (why they depend on real timing); "" = compared too.
  std::string differential_attempts_reason;

  // The user's domain merged under this file's tables (`run --domain`), or
  // null; it outlives the run. Its tables name the lines of the keys it gave.
  const UserDomain* user = nullptr;

  std::string id() const { return suite + "/" + name; }
  bool RunsIn(const std::string& mode) const;
  // A fault acts on a service every case shares: the case runs in the
  // serial group in test mode.
  bool serial() const;
};

// Loads one file; the suite is its folder's name. With `user`, the user's
// domain is merged under the file's [domain] and [handlers] first.
Scenario LoadScenario(const std::filesystem::path& file, const UserDomain* user = nullptr);

// Every *.toml under the given files/folders (recursively), sorted; a path
// that does not exist is a ConfigurationError (CONFIG_NOT_FOUND).
std::vector<std::filesystem::path> FindScenarioFiles(const std::vector<std::string>& paths);

}  // namespace protean::harness
