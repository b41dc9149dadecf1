#pragma once
// Hiding secrets before a configuration is displayed (`protean config show`).
//
// Two rules:
//  - a password inside a URI's user-info is replaced:
//      postgresql://user:secret@host/db -> postgresql://user:***@host/db
//      redis://:pass@host:6379/0        -> redis://:***@host:6379/0
//    anywhere in a string (also inside "{'hosts': ['http://u:p@h']}");
//  - the value of a key whose name contains "password", "secret", "token" or
//    "api_key" (case-insensitive) becomes "***" (tables under such a key are
//    still walked, not replaced).
// Redaction is for display only; the loaded config keeps the real values.

#include <string>
#include <string_view>

#include "core/config/toml_fwd.h"

namespace protean::config {

inline constexpr std::string_view kRedacted = "***";

// True when `key` names a secret (see above).
bool IsSecretKey(std::string_view key);

// `text` with the password of every URI user-info replaced by ***.
std::string RedactUris(std::string_view text);

// A redacted copy of `table`, same key structure.
toml::table RedactSecrets(const toml::table& table);

}  // namespace protean::config
