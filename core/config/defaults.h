#pragma once
// Protean's built-in configuration: the defaults every domain.toml is merged
// over, the top-level keys a domain config may hold, and the names commonly
// used for environment overlays.

#include <span>
#include <string_view>

#include "core/config/toml_fwd.h"

namespace protean::config {

// Protean's defaults, as a table the file is deep-merged over (the file
// wins): processing modes "async"; databases.default and databases.memory,
// event_store and caches.default (TTL 300) on "memory"; brokers.default
// "inline"; enable_outbox false and the outbox settings; server.drain_timeout
// 10 s, [server.health] and [server.dlq] with their documented values.
// (alert_callback has no default entry: TOML has no "none".)
toml::table DefaultConfigTable();

// The top-level keys Protean keeps (debug, testing, env, secret_key, ...,
// databases, brokers, event_store, caches, server, telemetry, custom, lint),
// plus `handlers`: the scripted handlers this project declares in TOML.
std::span<const std::string_view> KnownTopLevelKeys();
bool IsKnownTopLevelKey(std::string_view key);

// Names conventionally used for overlays (production, prod, staging,
// development, dev, test, testing, memory, ci). Any other top-level table
// that is not a known key is an overlay too; these are just the ones
// `protean check` will not suspect of being a typo.
std::span<const std::string_view> StandardEnvironmentNames();
bool IsStandardEnvironmentName(std::string_view name);

}  // namespace protean::config
