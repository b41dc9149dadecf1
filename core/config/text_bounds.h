#pragma once
// Bounds on a TOML file checked on its raw text, before toml++ parses it, so
// a hostile file cannot exhaust the stack or the memory of anything that walks
// the parsed table (toml++ itself, merge, substitution, redaction, JSON
// output: all recursive).
//
//  size   at most bytes_max (4 MiB); the loader checks the file's size before
//         reading it.
//  depth  at most depth_max (64) levels of nesting, counted the way the parsed
//         table nests: a [a.b.c] header is 3 (an [[a.b]] header 3: the array
//         adds one), a dotted key x.y adds 2 to its table, and every inline
//         table or array in a value adds 1 ("a = [[1]]" is 3).
//
// A violation is CONFIG_PARSE_ERROR naming the file and the line:column where
// the limit is passed. The scanner understands TOML's lexical structure
// (comments, the four string forms, quoted keys); on text that is not valid
// TOML it stops counting where it is lost and lets toml++ report the syntax.
// Does not include toml++.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/config/toml_fwd.h"

namespace protean::config {

struct TextBounds {
  size_t bytes_max = size_t{4} << 20;
  int depth_max = 64;
};

// Throws ConfigurationError (CONFIG_PARSE_ERROR) when `text` passes a bound.
void CheckTomlTextBounds(std::string_view text, const std::string& source,
                         const TextBounds& bounds = {});

// The deepest nesting of `text` as counted above (for tests and messages).
int TomlNestingDepth(std::string_view text);

// CheckTomlTextBounds, then toml::parse; a syntax error is CONFIG_PARSE_ERROR
// with the parser's line:column. `source` names the file in errors and source
// positions. For the loader and the harness's scenario files alike.
toml::table ParseTomlText(std::string_view text, const std::string& source,
                          const TextBounds& bounds = {});

// The text of `path`; a file larger than bounds.bytes_max is refused
// (CONFIG_PARSE_ERROR) without being read, an unreadable one is
// CONFIG_NOT_FOUND.
std::string ReadBoundedFile(const std::string& path, const TextBounds& bounds = {});

// ReadBoundedFile, then ParseTomlText.
toml::table ParseTomlFile(const std::string& path, const TextBounds& bounds = {});

}  // namespace protean::config
