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
// Exit codes (CheckReport::ExitCode): 0 clean, 1 a finding at or above the
// fail level ([lint].level: "info", "warn"/"warning" (default), "error"),
// 2 the config did not load.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/configuration_error.h"
#include "core/config/domain_config.h"

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
};

struct CheckReport {
  std::string domain;  // the file checked, or the path asked for when none loaded
  std::string env;
  bool load_failed = false;
  FindingLevel fail_level = FindingLevel::kWarning;
  std::vector<Finding> findings;

  int Count(FindingLevel level) const;
  // "pass", "fail" (a finding at or above fail_level) or "error" (load failed).
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

}  // namespace protean::config
