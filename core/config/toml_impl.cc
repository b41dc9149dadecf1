// The one translation unit that compiles toml++ (protean_core is built with
// TOML_HEADER_ONLY=0, so every other file sees declarations only).
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
