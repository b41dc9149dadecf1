#pragma once
// ${VAR} / ${VAR|default} substitution, Protean's rules.
//
// A pattern is "${", then one or more characters other than '}', then '}'.
// The text inside is split at the FIRST '|': the left part names the
// variable, the right part (possibly empty, possibly containing ':' '/' '|')
// is the default used when the variable has no value. Every pattern in a
// string is replaced, and the whole string is scanned again, until no
// pattern is left (so a value or default may itself contain a pattern), at
// most kSubstitutionPassesMax times. The result is always a string.
//
// Errors: a variable with no value and no default -> CONFIG_UNRESOLVED_ENV_VAR
// naming the variable and the key path; "${|x}" (empty name) or a string
// that still holds a pattern after the last pass -> CONFIG_INVALID_VALUE.
//
// The environment is read only through the EnvLookup given, so tests never
// depend on the process environment.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/toml_fwd.h"

#include "core/config/configuration_error.h"

namespace protean::config {

// Returns the value of an environment variable, or nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// std::getenv.
EnvLookup ProcessEnvLookup();

inline constexpr int kSubstitutionPassesMax = 16;

// True when `text` holds at least one ${...} pattern.
bool ContainsEnvVarPattern(std::string_view text);

// Substitutes one string. `where` is used for errors. A null `lookup` reads
// the process environment.
std::string SubstituteEnvVars(std::string_view text, const EnvLookup& lookup,
                              const ErrorLocation& where);

// Substitutes every string in `table`, in nested tables, and in the items of
// arrays (nested arrays and tables inside arrays included). Other values
// are untouched. Strings are rewritten in place, so nodes keep their source
// positions. Key paths in errors are `key_prefix` + the path inside `table`
// (array items as key[2]); `file` is used when a node has no source path.
void SubstituteEnvVars(toml::table& table, const EnvLookup& lookup, std::string_view file,
                       std::string_view key_prefix = "");

}  // namespace protean::config
