#include "core/config/redaction.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <toml++/toml.h>

namespace protean::config {
namespace {

constexpr std::array<std::string_view, 7> kSecretWords = {
    "password", "passwd", "secret", "token", "api_key", "credential", "private_key"};

// Characters that may precede a `key=value` pair in free text: the start of
// a query (?, &, ;), of a libpq keyword DSN (space) or of a quoted list.
bool StartsPair(char c) {
  return c == '?' || c == '&' || c == ';' || c == ',' || c == '(' || c == '{' || c == '[' ||
         c == '"' || c == '\'' || std::isspace(static_cast<unsigned char>(c));
}

bool KeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// Where an unquoted value ends: a query separator, a quote, a closing
// bracket or white space (not ';', which separates the keys of API_KEYS).
bool EndsValue(char c) {
  return c == '&' || c == '#' || c == ',' || c == '"' || c == '\'' || c == ')' || c == '}' ||
         c == ']' || std::isspace(static_cast<unsigned char>(c));
}

// The end of the value starting at `v`: a libpq single-quoted value (with \'
// escapes) or an unquoted one.
size_t ValueEnd(std::string_view text, size_t v) {
  if (v < text.size() && text[v] == '\'') {
    size_t end = v + 1;
    while (end < text.size() && text[end] != '\'') end += text[end] == '\\' ? 2 : 1;
    return std::min(end + 1, text.size());
  }
  size_t end = v;
  while (end < text.size() && !EndsValue(text[end])) ++end;
  return end;
}

// `text` with the value of every `secret=value` pair (query parameters,
// libpq keyword DSNs, KEY=value assignments) replaced by ***.
std::string RedactPairs(std::string_view text) {
  std::string out;
  size_t copied = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!KeyChar(text[i]) || (i > 0 && !StartsPair(text[i - 1]))) continue;
    size_t key_end = i;
    while (key_end < text.size() && KeyChar(text[key_end])) ++key_end;
    size_t eq = key_end;
    while (eq < text.size() && text[eq] == ' ') ++eq;  // libpq allows "password = x"
    if (eq >= text.size() || text[eq] != '=' || !IsSecretKey(text.substr(i, key_end - i))) {
      i = key_end - 1;
      continue;
    }
    size_t value = eq + 1;
    while (value < text.size() && text[value] == ' ') ++value;
    const size_t end = ValueEnd(text, value);
    if (end == value) continue;  // "password=" (empty): nothing to hide
    out.append(text.substr(copied, value - copied));
    out += kRedacted;
    copied = end;
    i = end - 1;
  }
  out.append(text.substr(copied));
  return out;
}

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
    text->get() = RedactText(text->get());
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

std::string RedactText(std::string_view text) { return RedactUris(RedactPairs(text)); }

toml::table RedactSecrets(const toml::table& table) {
  toml::table copy = table;
  RedactTable(copy);
  return copy;
}

}  // namespace protean::config
