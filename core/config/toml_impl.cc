// The one translation unit that compiles toml++ (every target that includes
// it is built with TOML_HEADER_ONLY=0, through the protean_tomlpp interface
// target, so every other file sees declarations only).
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>

// core/config/toml_fwd.h forward-declares toml::v3::table and friends.
static_assert(TOML_LIB_MAJOR == 3, "update the inline namespace in core/config/toml_fwd.h");
