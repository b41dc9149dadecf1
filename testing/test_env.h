#pragma once
// The environment a protean::testing run uses, Protean's pytest switch:
// `--protean-env memory|test` on the test binary's command line (the
// testing main, testing/testing_main.cc), else PROTEAN_ENV, else memory.
//
//   memory  the user's domain.toml with its [memory] overlay, on the
//           simulated clock and loop: virtual time, memory adapters
//           (whatever the overlay names must be memory providers), one seed
//   test    the same file with its [test] overlay, on the real clock and
//           loop, against the services its ${VARS} name (REDIS_URL,
//           DATABASE_URL, ...); an unreachable one fails the test naming it

#include <string>
#include <string_view>

namespace protean::testing {

enum class TestEnv { kMemory, kTest };

// "memory" | "test".
std::string_view TestEnvName(TestEnv env);

// The environment of this run: the one SetTestEnv chose, else PROTEAN_ENV
// ("memory" or "test"; anything else is reported by InitTestEnv), else memory.
TestEnv CurrentTestEnv();
void SetTestEnv(TestEnv env);

// Removes `--protean-env NAME` / `--protean-env=NAME` from argv and applies
// it (else PROTEAN_ENV). False, with `error` set, for a value other than
// memory or test.
bool InitTestEnv(int* argc, char** argv, std::string* error);

}  // namespace protean::testing
