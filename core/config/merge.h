#pragma once
// DeepMerge: Protean's overlay rule for configuration tables.
//
// Every key of `overlay` is written into `base`: when both sides hold a
// table, the two merge recursively; any other value (scalar, array, or a
// table replacing a non-table and vice versa) replaces base's value whole.
// Arrays are never concatenated. Keys only in `base` stay.
//
// Source positions: toml++ does not copy a node's source region when it
// copies the node, so the const& overload loses overlay line:column in the
// merged result. The && overload moves nodes and keeps them; use it when
// later errors should point into the overlay's file (the domain loader does).

#include "core/config/toml_fwd.h"

namespace protean::config {

void DeepMerge(toml::table& base, const toml::table& overlay);
// Consumes `overlay` (its moved-from nodes are left unspecified).
void DeepMerge(toml::table& base, toml::table&& overlay);

}  // namespace protean::config
