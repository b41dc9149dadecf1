#include "core/config/domain_config.h"

#include <array>
#include <map>
#include <utility>

#include <toml++/toml.h>

#include "core/config/defaults.h"
#include "core/config/discovery.h"
#include "core/config/internal/toml_util.h"
#include "core/config/merge.h"
#include "core/config/providers.h"
#include "core/config/scripted_handler_spec.h"
#include "core/config/subscription_resolver.h"
#include "core/config/text_bounds.h"

namespace protean::config {
namespace {

constexpr std::array<std::string_view, 2> kProcessingModes = {"sync", "async"};
constexpr std::array<std::string_view, 2> kIdentityStrategies = {"uuid", "function"};
constexpr std::array<std::string_view, 3> kIdentityTypes = {"string", "integer", "uuid"};
constexpr std::array<std::string_view, 4> kLintLevels = {"info", "warn", "warning", "error"};
constexpr DurationBounds kCommandTimeout{0, kDurationSecondsMax};

// The file's top level, sorted into what the loader uses.
struct SplitFile {
  toml::table base;                    // known top-level keys
  std::optional<toml::table> overlay;  // the table named by the environment
  std::vector<std::string> overlays;
  std::vector<IgnoredKey> ignored;
};

// Renames `lower` to `upper` in `table` (keeping the node and its source
// position), so the base and an overlay that spell a key differently still
// override each other. Both spellings in one table is an error.
void Canonicalize(toml::table& table, std::string_view upper, std::string_view lower,
                  const std::string& source, const std::string& key_prefix) {
  toml::node* node = table.get(lower);
  if (node == nullptr) return;
  if (table.contains(upper)) {
    internal::ThrowAt(
        kConfigInvalidValue, node, source, internal::JoinKeyPath(key_prefix, lower),
        "both '" + std::string(upper) + "' and '" + std::string(lower) + "' are set; use one");
  }
  table.insert_or_assign(upper, std::move(*node));
  table.erase(lower);
}

// Protean spells broker and cache keys URI and TTL; uri and ttl are accepted.
void CanonicalizeSpellings(toml::table& root, const std::string& source,
                           const std::string& prefix) {
  for (std::string_view section : {"brokers", "caches"}) {
    toml::table* named = root[section].as_table();
    if (named == nullptr) continue;
    for (auto&& [name, node] : *named) {
      toml::table* entry = node.as_table();
      if (entry == nullptr) continue;
      std::string path = internal::JoinKeyPath(internal::JoinKeyPath(prefix, section), name.str());
      Canonicalize(*entry, "URI", "uri", source, path);
      if (section == "caches") Canonicalize(*entry, "TTL", "ttl", source, path);
    }
  }
}

SplitFile Split(toml::table&& file, const std::string& env, const std::string& source) {
  SplitFile split;
  for (auto&& [key, node] : file) {
    std::string name(key.str());
    bool is_env = !env.empty() && name == env;
    if (is_env && IsKnownTopLevelKey(name) && node.is_table()) {
      internal::ThrowAt(kConfigInvalidValue, &node, source, name,
                        "environment name " + QuoteForMessage(env) +
                            " (PROTEAN_ENV or --env) names a configuration section, not an "
                            "overlay");
    }
    if (IsKnownTopLevelKey(name)) {
      split.base.insert_or_assign(key, std::move(node));
    } else if (is_env) {
      if (!node.is_table()) {
        internal::ThrowAt(kConfigInvalidValue, &node, source, name,
                          "the overlay for environment " + QuoteForMessage(env) +
                              " must be a table, got " + internal::DescribeValue(node));
      }
      split.overlay = std::move(*node.as_table());
      split.overlays.push_back(name);
    } else if (node.is_table()) {
      split.overlays.push_back(name);
    } else {
      split.ignored.push_back({name, node.source().begin.line, node.source().begin.column});
    }
  }
  CanonicalizeSpellings(split.base, source, "");
  if (split.overlay) CanonicalizeSpellings(*split.overlay, source, "");
  return split;
}

void ReadTopLevel(TableReader& root, DomainConfig& config) {
  config.debug = root.Bool("debug", false);
  config.testing = root.Bool("testing", false);
  root.OptionalString("env");
  root.OptionalString("secret_key");
  root.OptionalString("source_uri");
  root.OptionalEnum("identity_strategy", kIdentityStrategies);
  root.OptionalEnum("identity_type", kIdentityTypes);
  config.event_processing = root.Enum("event_processing", "async", kProcessingModes);
  config.command_processing = root.Enum("command_processing", "async", kProcessingModes);
  config.message_processing = root.Enum("message_processing", "async", kProcessingModes);
  root.OptionalBool("lenient_deserialization");
  root.ReadOptionalDuration("command_default_timeout", kCommandTimeout);
  root.Bool("enable_outbox", false);
  root.ReadOptionalCount("snapshot_threshold", CountBounds{1, kCountMax});
  // Sections of Protean's that this engine keeps but does not read
  // (core/config/protean_keys.h says what becomes of each): tables, no more.
  for (std::string_view section : {"outbox", "custom", "email_providers", "idempotency",
                                   "consume_idempotency", "observatory"}) {
    root.OptionalTable(section);
  }
  root.OptionalTable("handlers");  // scripted handlers, validated below
  if (std::optional<TableReader> lint = root.OptionalTable("lint")) {
    lint->OptionalEnum("level", kLintLevels);
  }
}

// Everything `protean server` resolves before it starts, so that a file that
// loads (config show, check, the harness) is one the server accepts: every
// profile, [server.*] subscription table and [server.subscriptions.*] entry
// (SubscriptionResolver validates them on construction), every
// [handlers.<Name>] and its resolved subscription, two handlers that would
// share a consumer group (or a position) on one stream, and a stream
// subscription its broker provider cannot serve (no consumer groups, or a
// DLQ it does not have).
void ValidateSubscriptions(DomainConfig& config) {
  SubscriptionResolver resolver(config);
  const auto broker = config.brokers.find("default");
  std::map<std::pair<std::string, std::string>, std::string>
      subscribers;  // (stream, name) -> table
  for (ScriptedHandlerSpec& spec : ReadScriptedHandlers(config)) {
    SubscriptionRequest request;
    request.handler = spec.name;
    request.profile = spec.profile;
    request.explicit_config = spec.subscription_config;
    const SubscriptionConfig resolved = resolver.Resolve(request);
    const std::string key = internal::JoinKeyPath("handlers", spec.name);
    const std::string subscriber = spec.fqn.value_or(spec.name);
    auto [other, fresh] = subscribers.emplace(std::pair(spec.stream, subscriber), spec.name);
    if (!fresh) {
      internal::ThrowAt(kConfigInvalidValue, config.table->at_path(key).node(), config.source_file,
                        key,
                        "handlers " + other->second + " and " + spec.name + " both read " +
                            QuoteForMessage(spec.stream) + " as " + subscriber +
                            " (their consumer group and position); give them distinct fqn values");
    }
    const BrokerProviderTraits traits = broker != config.brokers.end()
                                            ? BrokerProviderTraitsOf(broker->second.provider)
                                            : BrokerProviderTraits{};
    if (resolved.type == SubscriptionType::kStream && broker != config.brokers.end() &&
        !traits.consumer_groups) {
      internal::ThrowAt(kConfigInvalidValue, config.table->at_path(key).node(), config.source_file,
                        key,
                        "handler " + spec.name +
                            " is a stream subscription, but brokers.default "
                            "is provider " +
                            QuoteForMessage(broker->second.provider) +
                            ", which has no consumer groups; use provider \"redis\" or "
                            "\"inline\", or make the handler an event_store subscription");
    }
    if (resolved.type == SubscriptionType::kStream && broker != config.brokers.end() &&
        resolved.enable_dlq && !traits.dlq) {
      internal::ThrowAt(
          kConfigInvalidValue, config.table->at_path(key).node(), config.source_file, key,
          "handler " + spec.name + " has enable_dlq = true, but brokers.default is provider " +
              QuoteForMessage(broker->second.provider) +
              ", which has no DLQ (Protean's SIMPLE_QUEUING: a Redis list with a position per "
              "group, no acks); set enable_dlq = false in [" +
              key +
              ".subscription_config] (a message whose attempts run out is then dropped and "
              "counted) or use provider \"redis\"");
    }
    config.handlers.push_back(
        LoadedHandler{spec.name, resolved.concurrency,
                      resolved.type == SubscriptionType::kEventStore && resolved.enable_recovery});
  }
}

void Validate(DomainConfig& config) {
  TableReader root(*config.table, config.source_file, "");
  ReadTopLevel(root, config);
  config.databases = ReadDatabases(root.Table("databases"));
  config.brokers = ReadBrokers(root.Table("brokers"));
  TableReader event_store = root.Table("event_store");
  config.event_store = ReadEventStore(event_store);
  config.caches = ReadCaches(root.Table("caches"));
  TableReader server = root.Table("server");
  config.server = ReadServer(server);
  TableReader telemetry = root.Table("telemetry");
  config.telemetry = ReadTelemetry(telemetry);
  TableReader logging = root.Table("logging");
  config.logging = ReadLogging(logging);
  ValidateSubscriptions(config);
}

}  // namespace

std::string ResolveEnvName(const LoadOptions& options) {
  if (options.env) return *options.env;
  EnvLookup lookup = options.env_lookup ? options.env_lookup : ProcessEnvLookup();
  return lookup("PROTEAN_ENV").value_or("");
}

DomainConfig ParseDomainConfig(std::string_view toml_text, std::string source_name,
                               const LoadOptions& options) {
  toml::table document = ParseTomlText(toml_text, source_name);
  return ParseDomainTable(std::move(document), std::move(source_name), options);
}

DomainConfig ParseDomainTable(toml::table document, std::string source_name,
                              const LoadOptions& options) {
  DomainConfig config;
  config.source_file = std::move(source_name);
  config.env = ResolveEnvName(options);

  SplitFile split = Split(std::move(document), config.env, config.source_file);
  config.overlays = std::move(split.overlays);
  config.ignored_keys = std::move(split.ignored);
  config.overlay_applied = split.overlay.has_value();

  auto table = std::make_shared<toml::table>(DefaultConfigTable());
  DeepMerge(*table, std::move(split.base));
  if (split.overlay) DeepMerge(*table, std::move(*split.overlay));
  SubstituteEnvVars(*table, options.env_lookup, config.source_file);
  config.table = std::move(table);
  Validate(config);
  return config;
}

DomainConfig LoadDomainConfig(const LoadOptions& options) {
  std::filesystem::path file = FindDomainConfigFile(options.path);
  return ParseDomainConfig(ReadBoundedFile(file.string()), file.string(), options);
}

TableReader SectionReader(const DomainConfig& config, std::string_view key) {
  static const toml::table* const kEmpty = new toml::table();
  const toml::node* node = config.table != nullptr ? config.table->get(key) : nullptr;
  const toml::table* table = node != nullptr ? node->as_table() : nullptr;
  return TableReader(table != nullptr ? *table : *kEmpty, config.source_file, std::string(key));
}

}  // namespace protean::config
