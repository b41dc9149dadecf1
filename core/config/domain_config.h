#pragma once
// Loading a domain.toml the way Protean does, into a fully resolved,
// validated DomainConfig.
//
// Pipeline (LoadDomainConfig / ParseDomainConfig):
//  1. discovery (core/config/discovery.h) and parse; a syntax error is
//     CONFIG_PARSE_ERROR with the parser's line:column.
//  2. split the top level: known keys (core/config/defaults.h) form the base;
//     the table named by the environment is the overlay; every other table is
//     an overlay for some other environment and is dropped (Protean's model:
//     any top-level table may be an environment, e.g. [prod.databases.x]).
//     Every key Protean reads is known (core/config/protean_keys.h), so
//     [logging], [idempotency], [observatory], ... are sections, never
//     overlays. Any other unknown top-level value (`debgu = true`) is dropped,
//     like Protean, but recorded in `ignored_keys` so `protean check` warns.
//     An environment name that names a section table ("server") is
//     CONFIG_INVALID_VALUE, as is an environment key that is not a table
//     (`staging = 3`). Broker/cache `uri`/`ttl` are renamed to Protean's
//     `URI`/`TTL` before merging, so either spelling overrides the other.
//  3. merge: defaults <- base <- overlay (core/config/merge.h; tables recurse,
//     everything else is replaced). Overlay tables never appear as keys of the
//     result. Source positions are kept through the merge.
//  4. ${VAR|default} substitution over the merged table
//     (core/config/substitution.h), so only the selected overlay's variables
//     must be set.
//  0. before parsing: the file's size and nesting depth are bounded
//     (core/config/text_bounds.h), so a hostile file cannot exhaust the stack.
//  5. validation into typed sections (core/config/sections.h) and of the
//     top-level values (processing modes "sync"|"async", booleans, ...);
//     every duration and count against its range (core/config/bounds.h).
//  6. what the server resolves before it starts: custom profiles, the
//     [server.*] subscription tables, [server.subscriptions.*], every
//     [handlers.<Name>] with its resolved subscription, two handlers sharing
//     a consumer group on one stream (same fqn), and a stream handler its
//     broker cannot serve (enable_dlq on redis_pubsub, which has no DLQ). So a file that
//     loads here is one `protean server` accepts, except for what only the
//     running binary knows: which providers it was built with and which
//     alert callbacks are registered (checked by `protean check` and at start).
//
// The environment name is LoadOptions::env when set (`--env`), else
// PROTEAN_ENV read through LoadOptions::env_lookup. Every failure is a
// ConfigurationError naming the file and key path.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/toml_fwd.h"

#include "core/config/configuration_error.h"
#include "core/config/sections.h"
#include "core/config/substitution.h"
#include "core/config/table_reader.h"

namespace protean::config {

struct LoadOptions {
  // A domain.toml file, or a folder to search (see discovery.h).
  std::filesystem::path path = ".";
  // The environment (overlay) name. When unset, PROTEAN_ENV is read through
  // env_lookup; an empty name means "no overlay".
  std::optional<std::string> env;
  // Reads environment variables (PROTEAN_ENV and ${VAR}s). Null: getenv.
  EnvLookup env_lookup;
};

// A top-level key dropped at load time because Protean does not know it.
struct IgnoredKey {
  std::string key;
  uint32_t line = 0;
  uint32_t column = 0;
};

// A [handlers.<Name>] table, as resolved at load.
struct LoadedHandler {
  std::string name;
  int64_t concurrency = 1;  // attempts at once (its resolved subscription's)
  // An event-store subscription with the recovery pass on: its own in-place
  // retry settings have no effect (UnsupportedKeys reports them).
  bool recovery_pass = false;
};

struct DomainConfig {
  std::string source_file;            // the file loaded, or ParseDomainConfig's source name
  std::string env;                    // the environment name used ("" = none)
  bool overlay_applied = false;       // a table named `env` existed and was merged
  std::vector<std::string> overlays;  // top-level tables treated as overlays
  std::vector<IgnoredKey> ignored_keys;

  // The fully resolved configuration (defaults, base, overlay, substituted),
  // with the key structure of domain.toml, source positions kept. Never null
  // after loading; include <toml++/toml.h> to read it (or use SectionReader).
  std::shared_ptr<const toml::table> table;

  bool debug = false;
  bool testing = false;
  std::string event_processing = "async";  // "sync" | "async"
  std::string command_processing = "async";
  std::string message_processing = "async";

  std::map<std::string, DatabaseConfig> databases;  // always has "default", "memory"
  std::map<std::string, BrokerConfig> brokers;      // always has "default"
  EventStoreConfig event_store;
  std::map<std::string, CacheConfig> caches;  // always has "default"
  ServerConfig server;
  TelemetryConfig telemetry;
  LoggingConfig logging;
  // The [handlers.<Name>] tables, in key order; each was parsed and its
  // subscription resolved at load (step 6 above).
  std::vector<LoadedHandler> handlers;
};

// The environment name LoadOptions selects (env, else PROTEAN_ENV, else "").
std::string ResolveEnvName(const LoadOptions& options);

// Discovers, reads and resolves the domain config at options.path.
DomainConfig LoadDomainConfig(const LoadOptions& options);

// Resolves TOML text; `source_name` is used as the file name in errors and
// source positions. options.path is not used.
DomainConfig ParseDomainConfig(std::string_view toml_text, std::string source_name,
                               const LoadOptions& options);

// Resolves an already parsed document (steps 2-6) without re-serialising
// it; errors carry the source positions its nodes carry. toml++ does not
// copy a node's position, so a caller that assembled the document from
// copies places errors itself (the harness, from the scenario's own tables:
// harness/scenario_domain.cc).
DomainConfig ParseDomainTable(toml::table document, std::string source_name,
                              const LoadOptions& options);

// A reader over `config.table[key]` in place (keeping line:column), with
// key prefix `key`; an empty reader when the section is absent. Valid while
// `config` lives and is not modified.
TableReader SectionReader(const DomainConfig& config, std::string_view key);

}  // namespace protean::config
