#include "harness/scenario_domain.h"

#include <optional>
#include <string_view>

#include <toml++/toml.h>

#include "core/config/configuration_error.h"
#include "core/config/merge.h"
#include "harness/service_unavailable.h"

namespace protean::harness {
namespace {

constexpr const char* kBaseDomain = R"(
[databases.default]
provider = "memory"
[brokers.default]
provider = "inline"
[event_store]
provider = "memory"
[caches.default]
provider = "memory"
[server.health]
enabled = false

[test.databases.default]
provider = "postgresql"
database_uri = "${DATABASE_URL}"
[test.brokers.default]
provider = "redis"
URI = "${REDIS_URL}"
[test.event_store]
provider = "message_db"
database_uri = "${MESSAGE_DB_URL}"
[test.caches.default]
provider = "redis"
URI = "${REDIS_URL}"
)";

// The array at `key` of `table`, created when absent.
toml::array& ArrayAt(toml::table& table, std::string_view key) {
  if (toml::array* a = table.get_as<toml::array>(key)) return *a;
  table.insert_or_assign(key, toml::array());
  return *table.get_as<toml::array>(key);
}

}  // namespace

void HandlerFaultData::AddFailWindow(const std::string& handler, int64_t from_ms,
                                     int64_t until_ms) {
  windows_.push_back(Window{handler, true, from_ms, until_ms, 0});
}

void HandlerFaultData::AddSlowWindow(const std::string& handler, int64_t from_ms, int64_t until_ms,
                                     int64_t extra_ms) {
  windows_.push_back(Window{handler, false, from_ms, until_ms, extra_ms});
}

void HandlerFaultData::WriteInto(toml::table& handlers) const {
  for (auto& [name, node] : handlers) {
    toml::table* table = node.as_table();
    if (table == nullptr) continue;  // the loader reports it
    if (decision_seed_ && !table->contains("decision_seed")) {
      table->insert_or_assign("decision_seed", static_cast<int64_t>(*decision_seed_ & INT64_MAX));
    }
    for (const Window& w : windows_) {
      if (!w.handler.empty() && w.handler != name.str()) continue;
      if (w.fail) {
        ArrayAt(*table, "fail_between").push_back(toml::array{w.from_ms, w.until_ms});
      } else {
        ArrayAt(*table, "slow_between").push_back(toml::array{w.from_ms, w.until_ms, w.extra_ms});
      }
    }
  }
}

toml::table ScenarioDomainTable(const Scenario& scenario, const HandlerFaultData& faults) {
  toml::table doc = toml::parse(kBaseDomain, std::string_view("<harness base domain>"));
  config::DeepMerge(doc, toml::table(scenario.domain));
  toml::table handlers(scenario.handlers);
  faults.WriteInto(handlers);
  doc.insert_or_assign("handlers", std::move(handlers));
  return doc;
}

namespace {

struct KeyPosition {
  std::string file;
  toml::source_position at;
};

// The node at `key_path` (a domain key) in `domain` or, for "handlers.*",
// in `handlers`, when it knows where it was read.
const toml::node* NodeAt(const toml::table& domain, const toml::table& handlers,
                         std::string_view key_path) {
  constexpr std::string_view kHandlers = "handlers.";
  const bool handler = key_path.starts_with(kHandlers);
  const toml::node* node = (handler ? handlers : domain)
                               .at_path(handler ? key_path.substr(kHandlers.size()) : key_path)
                               .node();
  return node != nullptr && node->source().begin ? node : nullptr;
}

// Where `key_path` (a domain key: "server.drain_timeot",
// "handlers.A.subscription_config.max_retriez") lies: in the scenario file,
// when the scenario's own [domain] or [handlers] holds it, else in the
// user's domain file (`run --domain`). The document the loader reads is a
// copy (toml++ does not copy source regions), so its errors come without a
// line; the scenario's tables and the user's keep theirs.
std::optional<KeyPosition> ScenarioPosition(const Scenario& scenario, std::string_view key_path) {
  if (const toml::node* n = NodeAt(scenario.domain, scenario.handlers, key_path)) {
    return KeyPosition{scenario.file.string(), n->source().begin};
  }
  if (scenario.user == nullptr) return std::nullopt;
  if (const toml::node* n = NodeAt(scenario.user->domain, scenario.user->handlers, key_path)) {
    return KeyPosition{scenario.user->file, n->source().begin};
  }
  return std::nullopt;
}

}  // namespace

config::DomainConfig ScenarioDomainConfig(const Scenario& scenario, const toml::table& document,
                                          const std::string& env,
                                          const config::EnvLookup& env_lookup) {
  config::LoadOptions lo;
  lo.env = env;
  lo.env_lookup = env_lookup;
  try {
    // The document itself, not its text re-serialised (whose line numbers
    // are not the scenario file's); its errors are placed below.
    return config::ParseDomainTable(toml::table(document), scenario.file.string(), lo);
  } catch (const config::ConfigurationError& e) {
    if (e.line == 0 && !e.key_path.empty()) {
      if (auto where = ScenarioPosition(scenario, e.key_path)) {
        throw config::ConfigurationError(
            e.code,
            config::ErrorLocation{where->file, e.key_path, where->at.line, where->at.column},
            e.message);
      }
    }
    if (!env.empty() && e.code == config::kConfigUnresolvedEnvVar) {
      throw ServiceUnavailable(
          "test mode needs the real services: " + std::string(e.what()) +
          " (run `bash ci/services.sh start` and source ci/.work/services.env)");
    }
    throw;
  }
}

}  // namespace protean::harness
