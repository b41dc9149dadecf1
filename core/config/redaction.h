#pragma once
// Hiding secrets before anything is displayed: `protean config show`, the
// server's log lines, error messages and probe bodies. RedactText is the
// one function for free text; RedactSecrets applies it to a config table.
//
// The rules:
//  - a password inside a URI's user-info is replaced:
//      postgresql://user:secret@host/db -> postgresql://user:***@host/db
//      redis://:pass@host:6379/0        -> redis://:***@host:6379/0
//    anywhere in a string (also inside "{'hosts': ['http://u:p@h']}");
//  - in free text, the value of a `key=value` pair whose key names a secret
//    (below): query parameters (`?password=x&sslpassword=y`, `&token=t`),
//    libpq keyword DSNs (`host=h password='a b' dbname=d`, `password = x`)
//    and assignments (`API_KEYS=k:t:admin`);
//  - in a table, the value of a key that names a secret becomes "***"
//    (tables under such a key are still walked, not replaced).
// A key names a secret when it contains "password", "passwd", "secret",
// "token", "api_key", "credential" or "private_key" (case-insensitive).
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

// `text` with every secret of the forms above replaced by ***.
std::string RedactText(std::string_view text);

// A redacted copy of `table`, same key structure.
toml::table RedactSecrets(const toml::table& table);

}  // namespace protean::config
