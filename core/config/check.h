#pragma once
// The configuration rules of `protean check`.
//
// RunChecks inspects a loaded DomainConfig and returns findings; CheckDomain
// loads first and turns a ConfigurationError into one error-level finding
// carrying its CONFIG_* code (and marks the report load_failed). Rules:
//
//  LOW_POOL_SIZE (warning)            a postgresql (or mssql) database with
//                                     pool_size < 5; skipped when the
//                                     environment is development, dev, test,
//                                     testing or memory.
//  CONNECTION_BUDGET_EXCEEDED (warning) workers x (pool_size + max_overflow),
//                                     summed over postgresql databases, above
//                                     PostgreSQL's default max_connections
//                                     (100). workers: CheckOptions::workers,
//                                     else [server].workers, else 1.
//  MEMORY_PROVIDER_IN_PRODUCTION (warning) env production/prod with the
//                                     default database, broker or event store
//                                     still in memory.
//  CONFIG_UNKNOWN_KEY (warning)       a top-level value Protean ignores
//                                     (`debgu = true`), or a top-level table
//                                     that reads like a misspelt section
//                                     (`[databse.default]`) and so would be
//                                     taken for an environment overlay.
//  ENV_OVERLAY_MISSING (info)         an environment is set but the file has
//                                     no table of that name.
//  EVENT_STORE_MULTI_WORKER (warning) workers (as above) > 1 and a
//                                     [handlers.X] event_store subscription
//                                     that is not partitioned (every worker
//                                     would handle every event, Protean's
//                                     #1089), or whose consumer_group_size is
//                                     not the worker count. `protean server
//                                     --workers N` refuses the same findings.
//
// What `protean server` does before it starts, so that check passing means
// the server starts (core/config/check_startup.cc):
//  everything the loader validates (LoadDomainConfig: sections, bounds,
//                                     [server] keys, subscription tables,
//                                     [handlers.*] resolved, redis_pubsub with
//                                     a stream handler): a load error
//  CONFIG_UNKNOWN_PROVIDER (error)    a provider this binary has no adapter for
//                                     (CheckOptions::provider_available)
//  CONFIG_INVALID_VALUE (error)       an adapter section its factory refuses
//                                     (CheckOptions::build_adapter: nothing
//                                     connects; reachability in production is
//                                     not checked)
//  CONFIG_INVALID_VALUE (error)       server.dlq.alert_callback names a callback
//                                     that is not registered
//  UNSUPPORTED_KEY (warning / info)   a key Protean reads that this engine
//                                     accepts but does not implement, naming
//                                     what Protean would do (warning), or that
//                                     Protean drops too (info); see
//                                     core/config/protean_keys.h
//  WORKER_THREADS_LOW (warning)       server.worker_threads < the attempts the
//                                     handlers run at once (their concurrency,
//                                     summed) + 2 for blocking adapter calls in
//                                     flight
//
// Exit codes (CheckReport::ExitCode): 0 clean, 1 a finding at or above the
// fail level ([lint].level: "info", "warn"/"warning" (default), "error"),
// 2 the config did not load or the server would refuse it (an error-level
// finding).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/alert_callback_spec.h"
#include "core/config/configuration_error.h"
#include "core/config/domain_config.h"
#include "core/config/providers.h"

namespace protean::config {

inline constexpr int64_t kPostgresDefaultMaxConnections = 100;
inline constexpr int64_t kProductionPoolSize = 5;

enum class FindingLevel { kInfo = 0, kWarning = 1, kError = 2 };

// "info", "warning", "error".
std::string_view FindingLevelName(FindingLevel level);

struct Finding {
  std::string code;  // LOW_POOL_SIZE, CONFIG_INVALID_VALUE, ...
  FindingLevel level = FindingLevel::kInfo;
  std::string key_path;  // "databases.default.pool_size"; may be empty
  std::string message;
  std::string file;
  uint32_t line = 0;  // 0 when unknown
  uint32_t column = 0;
};

struct CheckOptions {
  std::optional<int64_t> workers;  // --workers
  int64_t database_max_connections = kPostgresDefaultMaxConnections;
  // Whether this binary has an adapter for a provider (the adapter registry's
  // answer). Null: every known provider counts as available.
  std::function<bool(ProviderKind kind, std::string_view provider)> provider_available;
  // Builds the adapter of section `name` (a key of config.databases, brokers,
  // caches; "" for the event store) the way the server does, without
  // connecting, and returns the factory's error. Null: not tried. This catches
  // what only a factory checks (a malformed Redis URL, a bad pass-through key).
  std::function<protean::Status(ProviderKind kind, const std::string& name,
                                const DomainConfig& config)>
      build_adapter;
  // The registered alert callbacks (AlertCallbackRegistry::Lookup / Names).
  // Null: none is registered, so a dotted alert_callback is an error.
  AlertCallbackLookup alert_callback_registered;
  std::vector<std::string> alert_callback_names;
};

struct CheckReport {
  std::string domain;  // the file checked, or the path asked for when none loaded
  std::string env;
  bool load_failed = false;
  FindingLevel fail_level = FindingLevel::kWarning;
  std::vector<Finding> findings;

  int Count(FindingLevel level) const;
  // "pass", "fail" (a finding at or above fail_level) or "error" (load failed,
  // or an error-level finding: the server would not start).
  std::string_view Status() const;
  // 0, 1, 2 as above.
  int ExitCode() const;
};

// development, dev, test, testing, memory: environments where production
// sizing rules (LOW_POOL_SIZE) do not apply.
bool IsRelaxedEnvironment(std::string_view env);

CheckReport RunChecks(const DomainConfig& config, const CheckOptions& options);

// The EVENT_STORE_MULTI_WORKER findings for `workers` processes (none when
// workers <= 1, or when a handler's settings do not resolve: other checks
// and the server report that).
std::vector<Finding> EventStoreWorkerFindings(const DomainConfig& config, int64_t workers);

// Loads with `load`, then RunChecks; a load failure becomes the report.
CheckReport CheckDomain(const LoadOptions& load, const CheckOptions& options);

// An error-level finding with the error's code, key path and position.
Finding FindingFromError(const ConfigurationError& error);
// The same for a Status carrying an ErrorSource (CONFIG_INVALID_VALUE when it
// has none).
Finding FindingFromStatus(const protean::Status& status);

// The rules that mirror the server's start path (check_startup.cc), run by
// RunChecks after the configuration rules.
void CheckStartup(const DomainConfig& config, const CheckOptions& options,
                  std::vector<Finding>& out);

}  // namespace protean::config
