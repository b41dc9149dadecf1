#pragma once
// Forward declarations of the toml++ types that configuration headers name,
// so that no header under core/ includes <toml++/toml.h> (it is the most
// expensive header of the build). A .cc file that reads or builds tables
// includes <toml++/toml.h> itself. toml_impl.cc checks that the library's
// major version still matches the inline namespace named here.

namespace toml {
inline namespace v3 {
class node;
class table;
class array;
}  // namespace v3
}  // namespace toml
