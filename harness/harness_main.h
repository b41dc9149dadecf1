#pragma once
// protean::harness::Main: the whole protean-harness command line (run, list,
// replay, report, shrink, proxy) for a user's own binary, with their C++
// handlers:
//
//   #include "harness/harness_main.h"
//
//   int main(int argc, char** argv) {
//     return protean::harness::Main(argc, argv, orders::RegisterHandlers);
//   }
//
//   orders-harness run scenarios --domain domain.toml                  # memory mode
//   orders-harness run scenarios --domain domain.toml --protean-env test
//       --server-binary build/orders-server --shard 2/4 --junit shard-2.xml   # (one line)
//
// `register_handlers` runs once, before the command line is parsed. The
// handlers meet the scenario's [handlers] tables (and, with --domain, the
// user's domain.toml under them) by name, as in core/engine/handler_catalog.h.
// In memory mode they run in this process on the simulated clock; in test
// mode every instance is a child process of --server-binary, which must be
// the user's ServerMain binary registering the same handlers (required when
// the catalog is not empty). Returns the exit code: 0 passed (skips
// allowed), 1 a case failed or a replay differs, 2 usage, a load error, an
// unreachable service, or a registrar error.

#include "core/engine/handler_catalog.h"

namespace protean::harness {

int Main(int argc, char** argv, const Registrar& register_handlers);

}  // namespace protean::harness
