#pragma once
// The user's domain under a run (`protean-harness run --domain PATH`): their
// domain.toml, with a [handlers.<Name>] table written for each C++ handler of
// the catalog that has none (its HandlerOptions' stream, profile and
// subscription config), so that scenario files, handler faults, the child
// servers of test mode and the checkers' declared policy all see every
// handler as a table.

#include <string>

#include "core/engine/handler_catalog.h"
#include "harness/scenario.h"

namespace protean::harness {

// `path` is a file or a folder (found as `protean check --domain` finds it).
// Throws ConfigurationError: no such file (CONFIG_NOT_FOUND), a parse error,
// [handlers] that is not a table, or a C++ handler with neither a table nor
// a stream (CONFIG_INVALID_VALUE naming it).
UserDomain LoadUserDomain(const std::string& path, const HandlerCatalog& catalog);

}  // namespace protean::harness
