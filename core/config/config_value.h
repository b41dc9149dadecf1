#pragma once
// A configuration value as it appeared in domain.toml (or a C++
// registration), with where it came from, so that an invalid value is
// reported naming the file, the key path and line:column. These plain types
// are how configuration crosses into the engine and the adapters; toml++
// stays inside core/config's .cc files.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace protean {

// A configuration value as it appeared, with its origin.
using ConfigValue = std::variant<bool, int64_t, double, std::string>;
struct ConfigOrigin {
  std::string file;      // "domain.toml", or "handler OrderHandler" for C++ registrations
  std::string key_path;  // "server.subscriptions.OrderHandler.max_retries"
  int line = 0;
  int column = 0;
};
struct ConfigEntry {
  std::string key;
  ConfigValue value;
  ConfigOrigin origin;
};
using ConfigLayer = std::vector<ConfigEntry>;

// Keys of an adapter section that the section itself does not interpret,
// passed through to the adapter factory (Protean hands them to the client
// library). A table or an array is kept as its TOML text with `compound` set,
// so a factory that expects a scalar reports it instead of misreading it.
struct PassThroughValue {
  ConfigEntry entry;
  bool compound = false;
};
using PassThroughKeys = std::map<std::string, PassThroughValue>;

}  // namespace protean
