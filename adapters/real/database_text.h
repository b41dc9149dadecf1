#pragma once
// Text the SQL database adapters (PostgreSQL, SQLite) share: which table
// names they accept, and how their errors name the row.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace protean::database_text {

// PostgreSQL's NAMEDATALEN - 1; SQLite keeps the same bound so a name valid
// for one provider is valid for the other.
constexpr size_t kIdentifierLengthMax = 63;

// A lower-case SQL identifier that needs no quoting: [a-z_][a-z0-9_]*, at
// most kIdentifierLengthMax bytes.
inline bool IsPlainIdentifier(std::string_view name) {
  if (name.empty() || name.size() > kIdentifierLengthMax) return false;
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

// " (table: T, key: K)": appended to an error about one row.
inline std::string Where(std::string_view table, std::string_view key) {
  return " (table: " + std::string(table) + ", key: " + std::string(key) + ")";
}

}  // namespace protean::database_text
