#include "core/config/redaction.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <toml++/toml.h>

namespace protean::config {
namespace {

constexpr std::array<std::string_view, 4> kSecretWords = {"password", "secret", "token", "api_key"};

// Characters that end a URI's authority (host part) in free text.
bool EndsAuthority(char c) {
  return c == '/' || c == '?' || c == '#' || c == '\'' || c == '"' || c == ',' || c == ']' ||
         c == '}' || c == ')' || c == '>' || std::isspace(static_cast<unsigned char>(c));
}

// Replaces the value of every secret key that is not a table with "***",
// and redacts URI passwords in every other string (arrays included).
void RedactNode(toml::node& node);

void RedactTable(toml::table& table) {
  for (auto&& [key, node] : table) {
    if (IsSecretKey(key.str()) && !node.is_table()) {
      table.insert_or_assign(key, std::string(kRedacted));
    } else {
      RedactNode(node);
    }
  }
}

void RedactNode(toml::node& node) {
  if (toml::table* table = node.as_table()) {
    RedactTable(*table);
  } else if (toml::array* array = node.as_array()) {
    for (toml::node& item : *array) RedactNode(item);
  } else if (toml::value<std::string>* text = node.as_string()) {
    text->get() = RedactUris(text->get());
  }
}

}  // namespace

bool IsSecretKey(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view word) { return lower.find(word) != std::string::npos; });
}

std::string RedactUris(std::string_view text) {
  std::string out;
  size_t copied = 0;
  for (size_t scheme_end = text.find("://"); scheme_end != std::string_view::npos;
       scheme_end = text.find("://", scheme_end + 3)) {
    size_t authority = scheme_end + 3;
    size_t end = authority;
    while (end < text.size() && !EndsAuthority(text[end])) ++end;
    size_t at = text.substr(authority, end - authority).rfind('@');
    if (at == std::string_view::npos) continue;
    size_t colon = text.substr(authority, at).find(':');
    if (colon == std::string_view::npos) continue;  // user only, no password
    size_t password = authority + colon + 1;
    out.append(text.substr(copied, password - copied));
    out += kRedacted;
    copied = authority + at;
  }
  out.append(text.substr(copied));
  return out;
}

toml::table RedactSecrets(const toml::table& table) {
  toml::table copy = table;
  RedactTable(copy);
  return copy;
}

}  // namespace protean::config
