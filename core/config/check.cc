#include "core/config/check.h"

#include <algorithm>
#include <array>
#include <utility>

#include <toml++/toml.h>

#include "core/config/defaults.h"
#include "core/config/internal/toml_util.h"
#include "core/config/scripted_handler_spec.h"
#include "core/config/subscription_resolver.h"

namespace protean::config {
namespace {

constexpr std::array<std::string_view, 5> kRelaxedEnvironments = {"development", "dev", "test",
                                                                  "testing", "memory"};
constexpr int kTypoDistanceMax = 2;

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The known top-level key `name` most likely misspells, or "".
std::string_view LikelyMeant(std::string_view name) {
  std::string_view best;
  size_t best_distance = kTypoDistanceMax + 1;
  for (std::string_view key : KnownTopLevelKeys()) {
    size_t distance = EditDistance(name, key);
    if (distance < best_distance) {
      best = key;
      best_distance = distance;
    }
  }
  return best;
}

// A finding located at `key_path` in the resolved table (line:column when
// the value came from the file).
Finding At(const DomainConfig& config, std::string code, FindingLevel level, std::string key_path,
           std::string message) {
  Finding finding{std::move(code), level, std::move(key_path), std::move(message),
                  config.source_file};
  if (const toml::node* node = config.table->at_path(finding.key_path).node()) {
    finding.line = node->source().begin.line;
    finding.column = node->source().begin.column;
  }
  return finding;
}

bool IsPooledSql(std::string_view provider) {
  return provider == "postgresql" || provider == "mssql";
}

void CheckPools(const DomainConfig& config, const CheckOptions& options,
                std::vector<Finding>& out) {
  if (!IsRelaxedEnvironment(config.env)) {
    for (const auto& [name, db] : config.databases) {
      if (!IsPooledSql(db.provider) || db.pool_size >= kProductionPoolSize) continue;
      out.push_back(At(config, "LOW_POOL_SIZE", FindingLevel::kWarning,
                       internal::JoinKeyPath(internal::JoinKeyPath("databases", name), "pool_size"),
                       "database '" + name + "' (" + db.provider + ") has pool_size " +
                           std::to_string(db.pool_size) + ", below the production default of " +
                           std::to_string(kProductionPoolSize)));
    }
  }
  int64_t workers = options.workers.value_or(config.server.workers.value_or(1));
  int64_t per_worker = 0;
  std::string terms;
  for (const auto& [name, db] : config.databases) {
    if (db.provider != "postgresql") continue;
    per_worker += db.pool_size + db.max_overflow;
    terms += (terms.empty() ? "" : " + ") + std::string("(") + std::to_string(db.pool_size) +
             " + " + std::to_string(db.max_overflow) + ")";
  }
  int64_t peak = workers * per_worker;
  if (peak > options.database_max_connections) {
    out.push_back(At(config, "CONNECTION_BUDGET_EXCEEDED", FindingLevel::kWarning, "databases",
                     std::to_string(workers) + " worker(s) x " + terms + " = " +
                         std::to_string(peak) +
                         " PostgreSQL connections at peak, above max_connections " +
                         std::to_string(options.database_max_connections) +
                         "; lower pool_size/max_overflow or raise the server's max_connections"));
  }
}

void CheckProductionProviders(const DomainConfig& config, std::vector<Finding>& out) {
  if (config.env != "production" && config.env != "prod") return;
  auto warn = [&](std::string key_path, const std::string& provider) {
    if (provider != "memory" && provider != "inline") return;
    out.push_back(At(config, "MEMORY_PROVIDER_IN_PRODUCTION", FindingLevel::kWarning,
                     key_path + ".provider",
                     "environment '" + config.env + "' uses the in-memory provider '" + provider +
                         "' for " + key_path + "; its data is lost on restart"));
  };
  if (auto db = config.databases.find("default"); db != config.databases.end()) {
    warn("databases.default", db->second.provider);
  }
  if (auto broker = config.brokers.find("default"); broker != config.brokers.end()) {
    warn("brokers.default", broker->second.provider);
  }
  warn("event_store", config.event_store.provider);
}

void CheckTopLevel(const DomainConfig& config, std::vector<Finding>& out) {
  for (const IgnoredKey& ignored : config.ignored_keys) {
    Finding finding{"CONFIG_UNKNOWN_KEY", FindingLevel::kWarning,
                    ignored.key,          "unknown top-level key '" + ignored.key + "' is ignored",
                    config.source_file,   ignored.line,
                    ignored.column};
    std::string_view meant = LikelyMeant(ignored.key);
    if (!meant.empty()) finding.message += " (did you mean '" + std::string(meant) + "'?)";
    out.push_back(std::move(finding));
  }
  for (const std::string& overlay : config.overlays) {
    if (IsStandardEnvironmentName(overlay) || overlay == config.env) continue;
    std::string_view meant = LikelyMeant(overlay);
    if (meant.empty()) continue;
    Finding finding{"CONFIG_UNKNOWN_KEY", FindingLevel::kWarning, overlay,
                    "top-level table '" + overlay + "' is not a known section (did you mean '" +
                        std::string(meant) +
                        "'?); it is only used as the overlay for "
                        "PROTEAN_ENV=" +
                        overlay,
                    config.source_file};
    out.push_back(std::move(finding));
  }
  if (!config.env.empty() && !config.overlay_applied) {
    out.push_back(Finding{"ENV_OVERLAY_MISSING", FindingLevel::kInfo, "",
                          "environment '" + config.env + "' has no [" + config.env +
                              "] table in the file; the base configuration is used",
                          config.source_file});
  }
}

}  // namespace

std::vector<Finding> EventStoreWorkerFindings(const DomainConfig& config, int64_t workers) {
  std::vector<Finding> out;
  if (workers <= 1) return out;
  try {
    const SubscriptionResolver resolver(config);
    for (const ScriptedHandlerSpec& spec : ReadScriptedHandlers(config)) {
      const SubscriptionConfig c =
          resolver.Resolve(SubscriptionRequest{spec.name, spec.profile, spec.subscription_config});
      if (c.type != SubscriptionType::kEventStore) continue;
      const std::string n = std::to_string(workers);
      std::string message;
      if (!c.consumer_group_size) {
        message = "event_store subscription '" + spec.name + "' on '" + spec.stream +
                  "' is not partitioned: each of the " + n +
                  " workers would handle every event; set consumer_group_size = " + n +
                  " (each worker then reads its own member), or run one worker";
      } else if (*c.consumer_group_size != workers) {
        message = "event_store subscription '" + spec.name + "' has consumer_group_size " +
                  std::to_string(*c.consumer_group_size) + " but runs in " + n +
                  " workers; each worker reads one member, so the size must be " + n;
      } else {
        continue;
      }
      out.push_back(At(config, "EVENT_STORE_MULTI_WORKER", FindingLevel::kWarning,
                       internal::JoinKeyPath("handlers", spec.name), std::move(message)));
    }
  } catch (const ConfigurationError&) {
    return {};  // reported where the handler's settings are used
  }
  return out;
}

namespace {

FindingLevel FailLevel(const DomainConfig& config) {
  const toml::node* level = config.table->at_path("lint.level").node();
  std::string_view name = level != nullptr && level->is_string()
                              ? std::string_view(level->as_string()->get())
                              : std::string_view("warn");
  if (name == "info") return FindingLevel::kInfo;
  if (name == "error") return FindingLevel::kError;
  return FindingLevel::kWarning;
}

}  // namespace

std::string_view FindingLevelName(FindingLevel level) {
  switch (level) {
    case FindingLevel::kInfo:
      return "info";
    case FindingLevel::kWarning:
      return "warning";
    case FindingLevel::kError:
      return "error";
  }
  return "unknown";
}

int CheckReport::Count(FindingLevel level) const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                        [&](const Finding& f) { return f.level == level; }));
}

std::string_view CheckReport::Status() const {
  if (load_failed) return "error";
  bool failing = std::any_of(findings.begin(), findings.end(),
                             [&](const Finding& f) { return f.level >= fail_level; });
  return failing ? "fail" : "pass";
}

int CheckReport::ExitCode() const {
  std::string_view status = Status();
  if (status == "error") return 2;
  return status == "fail" ? 1 : 0;
}

bool IsRelaxedEnvironment(std::string_view env) {
  return std::find(kRelaxedEnvironments.begin(), kRelaxedEnvironments.end(), env) !=
         kRelaxedEnvironments.end();
}

CheckReport RunChecks(const DomainConfig& config, const CheckOptions& options) {
  CheckReport report;
  report.domain = config.source_file;
  report.env = config.env;
  report.fail_level = FailLevel(config);
  CheckTopLevel(config, report.findings);
  CheckPools(config, options, report.findings);
  CheckProductionProviders(config, report.findings);
  for (Finding& f : EventStoreWorkerFindings(
           config, options.workers.value_or(config.server.workers.value_or(1)))) {
    report.findings.push_back(std::move(f));
  }
  return report;
}

Finding FindingFromError(const ConfigurationError& error) {
  return Finding{error.code, FindingLevel::kError, error.key_path, error.message,
                 error.file, error.line,           error.column};
}

CheckReport CheckDomain(const LoadOptions& load, const CheckOptions& options) {
  try {
    return RunChecks(LoadDomainConfig(load), options);
  } catch (const ConfigurationError& error) {
    CheckReport report;
    report.domain = error.file.empty() ? load.path.string() : error.file;
    report.env = ResolveEnvName(load);
    report.load_failed = true;
    report.findings.push_back(FindingFromError(error));
    return report;
  }
}

}  // namespace protean::config
