#include "core/config/protean_keys.h"

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include <toml++/toml.h>

#include "core/config/internal/toml_util.h"

namespace protean::config {
namespace {

using KS = KeySupport;

const toml::node* NodeAt(const toml::table& root, std::string_view path) {
  return root.at_path(path).node();
}

// Protean's truthiness for a flag; a value that is not a boolean counts as
// set (it is reported rather than guessed away).
bool Flag(const toml::table& root, std::string_view path, bool protean_default) {
  const toml::node* node = NodeAt(root, path);
  if (node == nullptr) return protean_default;
  std::optional<bool> value = node->value_exact<bool>();
  return value.value_or(true);
}

std::string StringAt(const toml::table& root, std::string_view path) {
  const toml::node* node = NodeAt(root, path);
  std::optional<std::string> value =
      node != nullptr ? node->value_exact<std::string>() : std::nullopt;
  return value.value_or("");
}

bool StreamIsDefault(const toml::table& root) {
  return StringAt(root, "server.default_subscription_type") == "stream";
}
bool OutboxOn(const toml::table& root) {
  return Flag(root, "enable_outbox", false) || StreamIsDefault(root);
}
bool EnableOutboxSet(const toml::table& root) { return Flag(root, "enable_outbox", false); }
bool VersionRetryOn(const toml::table& root) {
  return Flag(root, "server.version_retry.enabled", true);
}
bool TransientRetryOn(const toml::table& root) {
  return Flag(root, "server.transient_retry.enabled", false);
}
bool TelemetryOn(const toml::table& root) { return Flag(root, "telemetry.enabled", false); }
bool IdempotencyOn(const toml::table& root) {
  return !StringAt(root, "idempotency.redis_url").empty();
}
bool SuppressionsSet(const toml::table& root) {
  const toml::node* node = NodeAt(root, "lint.suppressions");
  const toml::array* array = node != nullptr ? node->as_array() : nullptr;
  return array == nullptr || !array->empty();
}

constexpr std::string_view kSubscription = "<subscription>";
constexpr std::array<std::string_view, 4> kSubscriptionTables = {
    "server.stream_subscription", "server.subscriptions.*", "server.profiles.*",
    "handlers.*.subscription_config"};

// Sources are paths under src/protean/ of proteanhq/protean at ca7379c.
constexpr ProteanKey kKeys[] = {
    // --- top level (domain/config.py _default_config) ---
    {"env", false, KS::kDomainLayer, "names the environment for the application",
     "domain/config.py:25"},
    {"testing", false, KS::kDomainLayer, "marks a test domain", "domain/config.py:26"},
    {"debug", false, KS::kDomainLayer,
     "domain debug flag (the server's own is the --debug option, server/engine.py:243)",
     "domain/config.py:27"},
    {"secret_key", false, KS::kDomainLayer, "application secret",
     "domain/config.py:28; domain/__init__.py:269"},
    {"source_uri", false, KS::kDomainLayer, "CloudEvents source of the messages the app produces",
     "domain/config.py:29; utils/eventing.py:1140-1147"},
    {"identity_strategy", false, KS::kDomainLayer, "how aggregates get their ids",
     "domain/config.py:30; utils/__init__.py:602"},
    {"identity_type", false, KS::kDomainLayer, "type of aggregate ids", "domain/config.py:31"},
    {"databases", true, KS::kHonoured, "database providers", "domain/config.py:32-35"},
    {"event_processing", false, KS::kDomainLayer,
     "events handled in the unit of work (sync) or by the server (async)", "domain/config.py:36"},
    {"command_processing", false, KS::kDomainLayer, "commands handled inline or by the server",
     "domain/config.py:37"},
    {"lenient_deserialization", false, KS::kDomainLayer,
     "drops unknown payload fields when building message classes",
     "domain/config.py:43; utils/eventing.py:957"},
    {"command_default_timeout", false, KS::kDomainLayer,
     "deadline stamped on commands by domain.process()",
     "domain/config.py:48; domain/command_processor.py:139"},
    {"message_processing", false, KS::kDomainLayer, "messages handled inline or by the server",
     "domain/config.py:49"},
    {"event_store", true, KS::kHonoured, "event store provider", "domain/config.py:50-52"},
    {"caches", true, KS::kHonoured, "cache providers", "domain/config.py:53-58"},
    {"brokers", true, KS::kHonoured, "broker providers", "domain/config.py:59"},
    {"email_providers", true, KS::kDomainLayer, "email adapters used by domain code",
     "domain/config.py:60-65; domain/__init__.py:940"},
    {"snapshot_threshold", false, KS::kDomainLayer, "events between aggregate snapshots",
     "domain/config.py:66; port/event_store.py:471"},
    {"enable_outbox", false, KS::kUnsupported,
     "runs the outbox processor, which publishes stored events to the broker",
     "domain/config.py:67; domain/__init__.py:455-466", EnableOutboxSet},
    {"outbox", true, KS::kUnsupported,
     "configures the outbox processor (broker, batch, tick, retry backoff, cleanup, external "
     "brokers)",
     "domain/config.py:68-88; server/engine.py:300-312; server/outbox_processor.py:92-129",
     OutboxOn},
    {"server", true, KS::kHonoured, "the server section", "domain/config.py:89-213"},
    {"idempotency", true, KS::kUnsupported,
     "Redis idempotency store: subscriptions skip commands already processed",
     "domain/config.py:214-218; domain/__init__.py:488-494; "
     "server/subscription/event_store_subscription.py:615-670",
     IdempotencyOn},
    {"consume_idempotency", true, KS::kUnsupported,
     "prunes the processed-message markers of idempotent projectors",
     "domain/config.py:221-226; utils/consume_idempotency.py:173"},
    {"logging", true, KS::kUnsupported,
     "rotating files, slow-handler thresholds, redaction lists, per-logger levels, sampling",
     "domain/config.py:227-257; domain/__init__.py:2748"},
    {"logging.level", false, KS::kHonoured, "the log level (protean server; --log-level wins)",
     "domain/config.py:228; utils/logging.py:76-81"},
    {"logging.format", false, KS::kHonoured,
     "auto | console | json (protean server; --log-format wins)", "domain/config.py:229"},
    {"telemetry", true, KS::kUnsupported, "exports OpenTelemetry traces and metrics",
     "domain/config.py:258-264; utils/telemetry.py:74-76", TelemetryOn},
    {"custom", true, KS::kHonoured, "free-form values for the application", "domain/config.py:265"},
    {"observatory", true, KS::kProteanDrops,
     "Observatory trace retention; Protean's loader keeps only the keys of its defaults, so a "
     "domain.toml value is dropped",
     "server/engine.py:248-250; domain/config.py:362-363"},
    {"lint", true, KS::kDomainLayer, "thresholds of the domain-model lint rules",
     "ir/builder.py:192-193"},
    {"lint.level", false, KS::kHonoured, "exit-code floor of protean check",
     "cli/check.py:154-166"},
    {"lint.suppressions", false, KS::kUnsupported, "hides the listed diagnostics of protean check",
     "ir/builder.py:192-193; cli/check.py:160", SuppressionsSet},
    // --- [server] ---
    {"server.default_subscription_type", false, KS::kPartial,
     "\"stream\" also turns the outbox processor on; this engine resolves the subscription type "
     "but runs no outbox",
     "server/subscription/config_resolver.py:267-269; domain/__init__.py:455-466", StreamIsDefault},
    {"server.default_subscription_profile", false, KS::kHonoured, "default profile",
     "server/subscription/config_resolver.py:271-274"},
    {"server.messages_per_tick", false, KS::kHonoured, "batch size",
     "server/subscription/config_resolver.py:277-279; stream_subscription.py:94-98"},
    {"server.tick_interval", false, KS::kHonoured, "pause between batches",
     "server/subscription/config_resolver.py:277-279"},
    {"server.event_store_subscription.position_update_interval", false, KS::kHonoured,
     "messages between position writes", "server/subscription/config_resolver.py:296-299"},
    {"server.event_store_subscription.max_retries", false, KS::kHonoured,
     "recovery pass: a failed position is retried this many times, then recorded Exhausted "
     "(resolved as recovery_max_retries; a subscription's own max_retries counts in-place "
     "attempts and applies only with enable_recovery = false)",
     "server/subscription/event_store_subscription.py:181-185,1009-1041"},
    {"server.event_store_subscription.retry_delay_seconds", false, KS::kHonoured,
     "recovery pass: wait before each retry of a failed position (a timer, not a sleep)",
     "server/subscription/event_store_subscription.py:186-190,1077-1079"},
    {"server.event_store_subscription.enable_recovery", false, KS::kHonoured,
     "records failed positions before the cursor moves on and runs the recovery pass (false: "
     "this engine retries in place, then records Exhausted; Protean drops the message)",
     "server/subscription/event_store_subscription.py:191-195,693-710"},
    {"server.event_store_subscription.recovery_interval_seconds", false, KS::kHonoured,
     "minimum time between recovery passes, checked every poll cycle",
     "server/subscription/event_store_subscription.py:196-200,1131-1145"},
    {"server.event_store_subscription.gap_timeout_seconds", false, KS::kUnsupported,
     "holds $all reads at a global_position gap this long",
     "server/subscription/event_store_subscription.py:201-205"},
    {"server.stream_subscription.blocking_timeout_ms", false, KS::kHonoured, "blocking read",
     "server/subscription/config_resolver.py:282-293"},
    {"server.stream_subscription.max_retries", false, KS::kHonoured, "attempts before the DLQ",
     "server/subscription/config_resolver.py:282-293"},
    {"server.stream_subscription.retry_delay_seconds", false, KS::kHonoured, "retry delay",
     "server/subscription/config_resolver.py:282-293"},
    {"server.stream_subscription.enable_dlq", false, KS::kHonoured, "dead-letter queue",
     "server/subscription/config_resolver.py:282-293"},
    {"<subscription>.subscription_type", false, KS::kHonoured, "stream or event_store",
     "server/subscription/profiles.py:215-231"},
    {"<subscription>.messages_per_tick", false, KS::kHonoured, "batch size",
     "server/subscription/profiles.py:215-231"},
    {"<subscription>.tick_interval", false, KS::kHonoured, "pause between batches",
     "server/subscription/profiles.py:215-231"},
    {"<subscription>.blocking_timeout_ms", false, KS::kHonoured, "blocking read",
     "server/subscription/profiles.py:215-231"},
    {"<subscription>.max_retries", false, KS::kHonoured, "attempts before the DLQ",
     "server/subscription/profiles.py:215-231"},
    {"<subscription>.retry_delay_seconds", false, KS::kHonoured, "retry delay",
     "server/subscription/profiles.py:215-231"},
    {"<subscription>.enable_dlq", false, KS::kHonoured, "dead-letter queue",
     "server/subscription/profiles.py:215-231"},
    {"<subscription>.position_update_interval", false, KS::kHonoured,
     "messages between position writes", "server/subscription/profiles.py:215-231"},
    {"<subscription>.origin_stream", false, KS::kHonoured, "only messages from this stream",
     "server/subscription/profiles.py:215-231"},
    {"<subscription>.dlq_retention_hours", false, KS::kHonoured, "per-subscription DLQ retention",
     "server/dlq_maintenance.py:122-140"},
    {"<subscription>.dlq_alert_threshold", false, KS::kHonoured, "per-subscription DLQ threshold",
     "server/dlq_maintenance.py:122-140"},
    {"<subscription>.circuit_breaker_threshold", false, KS::kHonoured,
     "opens a circuit after this many consecutive handler failures and pauses reads",
     "server/subscription/stream_subscription.py:119-123,418-545"},
    {"<subscription>.circuit_breaker_reset_seconds", false, KS::kHonoured,
     "how long an open circuit pauses reads before a half-open probe",
     "server/subscription/stream_subscription.py:124-128,418-545"},
    {"<subscription>.retention_maxlen", false, KS::kHonoured,
     "trims the subscribed stream after each batch (XTRIM MAXLEN/MINID)",
     "server/subscription/stream_subscription.py:160-164,547-571"},
    {"server.broker_subscription", true, KS::kUnsupported,
     "retries and DLQ of subscribers reading external brokers",
     "domain/config.py:118-122; server/subscription/broker_subscription.py:109-126"},
    {"server.version_retry", true, KS::kUnsupported,
     "retries ExpectedVersionError inside the handler before the subscription's retry",
     "domain/config.py:126-131; utils/mixins.py:65-80", VersionRetryOn},
    {"server.transient_retry", true, KS::kUnsupported,
     "retries transient exceptions inside the handler with backoff",
     "domain/config.py:138-151; utils/mixins.py:189-202", TransientRetryOn},
    {"server.subscriptions", true, KS::kHonoured, "per-handler subscription settings",
     "server/subscription/config_resolver.py:312-313"},
    {"server.subscriptions.*.profile", false, KS::kHonoured, "per-handler profile",
     "server/subscription/config_resolver.py:312-313"},
    {"server.subscriptions.*.stream_category", false, KS::kProteanDrops,
     "documented, but the resolver keeps only SubscriptionConfig fields; the handler's stream "
     "comes from its registration",
     "domain/config.py:152-163; server/subscription/config_resolver.py:494-511"},
    {"server.profiles", true, KS::kHonoured, "custom profiles (inherits a built-in)",
     "server/subscription/config_resolver.py:85-87; server/subscription/profiles.py:243-342"},
    {"server.dlq", true, KS::kHonoured,
     "DLQ maintenance; alert_callback is a dotted name (a registered C++ callback here)",
     "server/dlq_maintenance.py:39-66,95-99"},
    {"server.health", true, KS::kHonoured, "health probes", "server/health.py:429-435"},
    {"server.priority_lanes", true, KS::kHonoured,
     "routes messages with priority < threshold to a backfill lane ({stream}:backfill, DLQ "
     "{stream}:backfill:dlq) read only when the primary stream is empty",
     "domain/config.py:205-212; domain/validation.py:370-419; "
     "server/subscription/stream_subscription.py:182-186,360-384,599-625,934-938; "
     "server/outbox_processor.py:118-121,637-645"},
    {"server.partitioning", true, KS::kUnsupported,
     "leases and fencing of partitioned (sequential_by) streams",
     "server/subscription/partitioned_stream_subscription.py:143-157"},
    {"server.drain_timeout", false, KS::kHonoured,
     "shutdown drain bound (hard-coded 10 s at this snapshot, a key since PR #1477)",
     "server/engine.py:1114"},
    {"server.workers", false, KS::kHonoured,
     "engine processes (Protean's --workers option; here check's connection budget)",
     "cli/__init__.py:174"},
};

constexpr std::array<std::string_view, 1> kEngineTopLevelKeys = {"handlers"};

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', start)) {
    out.emplace_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  out.emplace_back(path.substr(start));
  return out;
}

std::vector<std::vector<std::string>> Patterns(const ProteanKey& key) {
  std::vector<std::vector<std::string>> out;
  if (!key.path.starts_with(kSubscription)) {
    out.push_back(Split(key.path));
    return out;
  }
  std::string_view rest = key.path.substr(kSubscription.size());
  for (std::string_view table : kSubscriptionTables)
    out.push_back(Split(std::string(table) + std::string(rest)));
  return out;
}

// Whether `path` is the pattern (or, for a subtree, lies under it).
bool Matches(const std::vector<std::string>& pattern, std::span<const std::string> path,
             bool subtree) {
  if (subtree ? path.size() < pattern.size() : path.size() != pattern.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != "*" && pattern[i] != path[i]) return false;
  }
  return true;
}

struct Walker {
  const DomainConfig& config;
  std::vector<UnsupportedKey>& out;
  const ProteanKey& key;
  std::vector<std::string> subtree_path = {};  // the concrete path being walked

  std::string Message(std::string_view keys_set) const {
    const char* verdict = key.support == KS::kProteanDrops ? "no effect here, nor in Protean: "
                          : key.support == KS::kPartial    ? "partly supported. Protean: "
                                                        : "not supported by this engine. Protean: ";
    std::string out_message =
        verdict + std::string(key.protean) + " (" + std::string(key.source) + ")";
    if (!keys_set.empty()) out_message += "; set here: " + std::string(keys_set);
    return out_message;
  }

  void Report(const toml::node& node, const std::string& key_path, std::string_view keys_set) {
    const toml::source_region& source = node.source();
    UnsupportedKey found;
    found.key_path = key_path;
    found.warning = key.support != KS::kProteanDrops;
    found.message = Message(keys_set);
    found.file = source.path && !source.path->empty() ? *source.path : config.source_file;
    found.line = source.begin.line;
    found.column = source.begin.column;
    out.push_back(std::move(found));
  }

  // Whether `relative` (under the subtree being walked) has an honoured
  // entry of its own.
  bool HonouredLeaf(const std::string& relative) const {
    std::vector<std::string> path = subtree_path;
    size_t start = 0;
    for (size_t dot = relative.find('.');; dot = relative.find('.', start)) {
      path.push_back(relative.substr(start, dot == std::string::npos ? dot : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const ProteanKey* own = FindProteanKey(path);
    return own != nullptr && !own->subtree && own->support == KS::kHonoured;
  }

  // The leaves under `node` that came from the file (a built-in default has
  // no line), as key paths relative to the subtree; the first one in `first`.
  void Leaves(const toml::node& node, const std::string& relative, std::string& names,
              const toml::node*& first) {
    if (const toml::table* table = node.as_table()) {
      for (auto&& [name, child] : *table) {
        Leaves(child, internal::JoinKeyPath(relative, name.str()), names, first);
      }
      return;
    }
    if (node.source().begin.line == 0) return;
    if (HonouredLeaf(relative)) return;  // e.g. logging.level under [logging]
    names += (names.empty() ? "" : ", ") + relative;
    if (first == nullptr || node.source().begin.line < first->source().begin.line) first = &node;
  }

  void Walk(const toml::node& node, const std::vector<std::string>& pattern, size_t index,
            const std::string& key_path) {
    if (index == pattern.size()) {
      if (key.subtree) {
        std::string names;
        const toml::node* first = nullptr;
        Leaves(node, "", names, first);
        if (first != nullptr) Report(*first, key_path, names);
      } else if (!node.is_table() && node.source().begin.line > 0) {
        Report(node, key_path, "");
      }
      return;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) return;
    if (pattern[index] != "*") {
      if (const toml::node* child = table->get(pattern[index])) {
        subtree_path.push_back(pattern[index]);
        Walk(*child, pattern, index + 1, internal::JoinKeyPath(key_path, pattern[index]));
        subtree_path.pop_back();
      }
      return;
    }
    for (auto&& [name, child] : *table) {
      subtree_path.emplace_back(name.str());
      Walk(child, pattern, index + 1, internal::JoinKeyPath(key_path, name.str()));
      subtree_path.pop_back();
    }
  }
};

}  // namespace

std::string_view KeySupportName(KeySupport support) {
  switch (support) {
    case KS::kHonoured:
      return "honoured";
    case KS::kDomainLayer:
      return "domain layer";
    case KS::kProteanDrops:
      return "dropped by Protean";
    case KS::kPartial:
      return "partial";
    case KS::kUnsupported:
      return "unsupported";
  }
  return "unknown";
}

std::span<const ProteanKey> ProteanKeys() { return kKeys; }

std::vector<std::vector<std::string>> ProteanKeyPatterns(const ProteanKey& key) {
  return Patterns(key);
}

std::span<const std::string_view> EngineTopLevelKeys() { return kEngineTopLevelKeys; }

const ProteanKey* FindProteanKey(std::span<const std::string> path) {
  const ProteanKey* best = nullptr;
  size_t best_length = 0;
  for (const ProteanKey& key : kKeys) {
    for (const std::vector<std::string>& pattern : Patterns(key)) {
      if (!key.subtree && Matches(pattern, path, false)) return &key;
      if (key.subtree && Matches(pattern, path, true) && pattern.size() > best_length) {
        best = &key;
        best_length = pattern.size();
      }
    }
  }
  return best;
}

namespace {

// In-place retry settings written for an event-store handler whose recovery
// pass is on (Protean's model: no retry in place; the pass's max_retries and
// retry_delay_seconds come from [server.event_store_subscription]).
void IneffectiveRetryKeys(const DomainConfig& config, std::vector<UnsupportedKey>& out) {
  static constexpr std::string_view kRetryKeys[] = {"max_retries", "retry_delay_seconds",
                                                    "retry_backoff", "retry_backoff_max_seconds",
                                                    "retry_jitter"};
  // The table at `keys` under the root, or null.
  const auto table_at = [&](std::initializer_list<std::string_view> keys) -> const toml::table* {
    const toml::table* t = config.table.get();
    for (std::string_view k : keys) {
      const toml::node* n = t != nullptr ? t->get(k) : nullptr;
      t = n != nullptr ? n->as_table() : nullptr;
    }
    return t;
  };
  for (const LoadedHandler& handler : config.handlers) {
    if (!handler.recovery_pass) continue;
    const std::pair<const toml::table*, std::string> tables[] = {
        {table_at({"handlers", handler.name, "subscription_config"}),
         internal::JoinKeyPath(internal::JoinKeyPath("handlers", handler.name),
                               "subscription_config")},
        {table_at({"server", "subscriptions", handler.name}),
         internal::JoinKeyPath("server.subscriptions", handler.name)}};
    for (const auto& [table, table_path] : tables) {
      if (table == nullptr) continue;
      for (std::string_view key : kRetryKeys) {
        const toml::node* node = table->get(key);
        if (node == nullptr) continue;
        const toml::source_region& source = node->source();
        UnsupportedKey found;
        found.key_path = internal::JoinKeyPath(table_path, key);
        found.message =
            "no effect: " + handler.name +
            " is an event-store subscription with the recovery pass on, which retries a failed "
            "message in later passes, never in place (Protean's model, "
            "server/subscription/event_store_subscription.py:679-724); the pass takes "
            "max_retries and retry_delay_seconds from [server.event_store_subscription], or set "
            "enable_recovery = false for retries in place";
        found.file = source.path && !source.path->empty() ? *source.path : config.source_file;
        found.line = source.begin.line;
        found.column = source.begin.column;
        out.push_back(std::move(found));
      }
    }
  }
}

}  // namespace

std::vector<UnsupportedKey> UnsupportedKeys(const DomainConfig& config) {
  std::vector<UnsupportedKey> out;
  if (config.table == nullptr) return out;
  IneffectiveRetryKeys(config, out);
  for (const ProteanKey& key : kKeys) {
    if (key.support == KS::kHonoured || key.support == KS::kDomainLayer) continue;
    if (key.active != nullptr && !key.active(*config.table)) continue;
    Walker walker{config, out, key};
    for (const std::vector<std::string>& pattern : Patterns(key)) {
      walker.Walk(*config.table, pattern, 0, "");
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const UnsupportedKey& a, const UnsupportedKey& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  return out;
}

std::string FormatUnsupportedKey(const UnsupportedKey& key) {
  std::string out = key.file;
  if (key.line > 0) out += ":" + std::to_string(key.line) + ":" + std::to_string(key.column);
  if (!out.empty()) out += ": ";
  return out + key.key_path + ": " + key.message;
}

}  // namespace protean::config
