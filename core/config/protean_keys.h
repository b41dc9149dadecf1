#pragma once
// The inventory of every configuration key Protean reads (its
// domain/config.py defaults and its server), with what this engine does with
// each, as one table of data (ProteanKeys()). Each entry cites where Protean
// reads the key (paths under src/protean/ of proteanhq/protean at ca7379c).
//
// What the loader and `protean check` make of it:
//   kHonoured     implemented here (validated at load; docs/configuration.md)
//   kDomainLayer  read by Protean's domain layer (aggregates, producers,
//                 domain.process), never by its server; accepted, no finding:
//                 Protean's own server ignores it the same way
//   kProteanDrops Protean's own loader or resolver drops it; accepted, an
//                 info-level UNSUPPORTED_KEY so nobody expects an effect
//   kPartial      honoured, but Protean ties a feature this engine lacks to
//                 one of its values (a warning when that value is set)
//   kUnsupported  Protean's server acts on it and this engine does not:
//                 accepted, a warning at server start and a warning-level
//                 UNSUPPORTED_KEY in `protean check`
// A key in none of these tables is an error where the engine owns the table
// ([server] and its subscription tables), a dropped-and-reported value at the
// top level (CONFIG_UNKNOWN_KEY), and passed through to the adapter in
// [databases.*], [brokers.*], [caches.*], [event_store].
//
// Paths: dotted, '*' matches any one key (a handler or profile name);
// "<subscription>" stands for each table a subscription setting may be
// written in: server.stream_subscription, server.subscriptions.*,
// server.profiles.*, handlers.*.subscription_config. `subtree` entries cover
// every key under the path. Does not include toml++.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/domain_config.h"
#include "core/config/toml_fwd.h"

namespace protean::config {

enum class KeySupport { kHonoured, kDomainLayer, kProteanDrops, kPartial, kUnsupported };

// "honoured", "domain layer", "dropped by Protean", "partial", "unsupported".
std::string_view KeySupportName(KeySupport support);

struct ProteanKey {
  std::string_view path;
  bool subtree = false;
  KeySupport support = KeySupport::kHonoured;
  std::string_view protean;  // what Protean does with it
  std::string_view source;   // where Protean reads it, "server/engine.py:300-312"
  // kUnsupported/kPartial: whether the setting is in effect in Protean given
  // the resolved table (null: whenever it is set). `[server.version_retry]`
  // does nothing in Protean unless enabled = true, so it is only reported then.
  bool (*active)(const toml::table& root) = nullptr;
};

std::span<const ProteanKey> ProteanKeys();

// The dotted patterns an entry stands for, split into segments ('*' kept;
// "<subscription>" expanded into its four tables).
std::vector<std::vector<std::string>> ProteanKeyPatterns(const ProteanKey& key);

// The inventory entry for a concrete key path (segments, unquoted), or null.
// An exact entry wins over a subtree that contains the path.
const ProteanKey* FindProteanKey(std::span<const std::string> path);

// Top-level keys that are this engine's own (not Protean's): "handlers".
std::span<const std::string_view> EngineTopLevelKeys();

// A key set in the file that this engine accepts but does not act on.
struct UnsupportedKey {
  std::string key_path;  // "server.stream_subscription.retention_maxlen", "logging"
  bool warning = true;   // false: informational (Protean drops it too)
  std::string message;   // what Protean would do, and its source
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

// Every kUnsupported, kPartial (when active) and kProteanDrops key the file
// sets, in file order. A subtree entry ([logging], [server.partitioning]) is
// one item naming the table, at its first key, listing the keys set. Values
// from the built-in defaults are never reported. The server logs each at
// start (warning or info); `protean check` reports each as UNSUPPORTED_KEY.
std::vector<UnsupportedKey> UnsupportedKeys(const DomainConfig& config);

// "file:line:col: key: message", the form of the start-up log line.
std::string FormatUnsupportedKey(const UnsupportedKey& key);

}  // namespace protean::config
