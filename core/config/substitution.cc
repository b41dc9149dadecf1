#include "core/config/substitution.h"

#include <cstdlib>
#include <utility>

#include <toml++/toml.h>

#include "core/config/internal/toml_util.h"

namespace protean::config {
namespace {

struct Pattern {
  size_t begin = std::string::npos;  // position of "${"
  size_t end = 0;                    // one past the closing '}'
};

// The first pattern at or after `from`: "${" + at least one non-'}' + "}".
Pattern FindPattern(std::string_view text, size_t from) {
  while (true) {
    size_t begin = text.find("${", from);
    if (begin == std::string_view::npos) return {};
    size_t close = text.find('}', begin + 2);
    if (close == std::string_view::npos) return {};
    if (close > begin + 2) return {begin, close + 1};
    from = begin + 1;  // "${}" is not a pattern
  }
}

// One left-to-right pass replacing every pattern found.
std::string SubstituteOnce(std::string_view text, const EnvLookup& lookup,
                           const ErrorLocation& where) {
  std::string out;
  size_t copied = 0;
  for (Pattern p = FindPattern(text, 0); p.begin != std::string::npos;
       p = FindPattern(text, p.end)) {
    out.append(text.substr(copied, p.begin - copied));
    std::string_view inner = text.substr(p.begin + 2, p.end - p.begin - 3);
    size_t bar = inner.find('|');
    std::string name(inner.substr(0, bar));
    if (name.empty()) {
      throw ConfigurationError(kConfigInvalidValue, where,
                               "empty variable name in " + QuoteForMessage(text));
    }
    std::optional<std::string> value = lookup(name);
    if (value) {
      out += *value;
    } else if (bar != std::string_view::npos) {
      out.append(inner.substr(bar + 1));
    } else {
      throw ConfigurationError(kConfigUnresolvedEnvVar, where,
                               "environment variable '" + name +
                                   "' is not set and has no default (use ${" + name + "|default})");
    }
    copied = p.end;
  }
  out.append(text.substr(copied));
  return out;
}

void SubstituteNode(toml::node& node, const EnvLookup& lookup, std::string_view file,
                    const std::string& key_path);

void SubstituteArray(toml::array& array, const EnvLookup& lookup, std::string_view file,
                     const std::string& key_path) {
  for (size_t i = 0; i < array.size(); ++i) {
    SubstituteNode(*array.get(i), lookup, file, internal::JoinIndex(key_path, i));
  }
}

void SubstituteTable(toml::table& table, const EnvLookup& lookup, std::string_view file,
                     std::string_view key_prefix) {
  for (auto&& [key, node] : table) {
    SubstituteNode(node, lookup, file, internal::JoinKeyPath(key_prefix, key.str()));
  }
}

void SubstituteNode(toml::node& node, const EnvLookup& lookup, std::string_view file,
                    const std::string& key_path) {
  if (toml::value<std::string>* text = node.as_string()) {
    if (!ContainsEnvVarPattern(text->get())) return;
    ErrorLocation where = internal::LocationOf(&node, file, key_path);
    text->get() = SubstituteEnvVars(text->get(), lookup, where);
  } else if (toml::table* table = node.as_table()) {
    SubstituteTable(*table, lookup, file, key_path);
  } else if (toml::array* array = node.as_array()) {
    SubstituteArray(*array, lookup, file, key_path);
  }
}

}  // namespace

EnvLookup ProcessEnvLookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

bool ContainsEnvVarPattern(std::string_view text) {
  return FindPattern(text, 0).begin != std::string::npos;
}

std::string SubstituteEnvVars(std::string_view text, const EnvLookup& lookup,
                              const ErrorLocation& where) {
  const EnvLookup& effective = lookup ? lookup : ProcessEnvLookup();
  std::string current(text);
  for (int pass = 0; pass < kSubstitutionPassesMax; ++pass) {
    if (!ContainsEnvVarPattern(current)) return current;
    current = SubstituteOnce(current, effective, where);
  }
  if (!ContainsEnvVarPattern(current)) return current;
  throw ConfigurationError(kConfigInvalidValue, where,
                           "variable substitution still leaves a ${...} pattern after " +
                               std::to_string(kSubstitutionPassesMax) +
                               " passes (does a variable refer to itself?)");
}

void SubstituteEnvVars(toml::table& table, const EnvLookup& lookup, std::string_view file,
                       std::string_view key_prefix) {
  EnvLookup effective = lookup ? lookup : ProcessEnvLookup();
  SubstituteTable(table, effective, file, key_prefix);
}

}  // namespace protean::config
