#!/usr/bin/env bash
# ci/example_orders.sh — a user's project against the installed package, out
# of tree: examples/orders copied to a temporary folder, this build installed
# into an empty temporary prefix, the example configured with only
# CMAKE_PREFIX_PATH pointing there (no path into the source or build tree:
# checked in its CMakeCache), built, and its tests and scenarios run:
#   1. memory mode  ctest -L memory (GoogleTest on the simulated clock + the
#                   scenarios through orders-harness)
#   2. test mode    ctest -L test, when REDIS_URL, DATABASE_URL and
#                   MESSAGE_DB_URL are set (source ci/.work/services.env);
#                   otherwise reported as skipped
#   3. Redis down   (with 2.) orders_test --protean-env test with REDIS_URL on
#                   a closed port must fail, naming the broker it cannot reach
# Usage: bash ci/example_orders.sh [BUILD_DIR]   (default: $BUILD_DIR, else build)
# Exit 0 when every run step passed, 1 otherwise.
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

build_dir="$(cd "${1:-${BUILD_DIR:-build}}" && pwd -P)"
work="$(mktemp -d "${TMPDIR:-/tmp}/protean-example.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

ci_log "example: copying examples/orders to ${work}/orders"
cp -R examples/orders "${work}/orders"
ci_log "example: installing ${build_dir} into the empty prefix ${work}/prefix"
cmake --install "${build_dir}" --prefix "${work}/prefix" >/dev/null

launcher=()
if ci_have ccache; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${work}" CCACHE_NOHASHDIR=1
fi
generator=()
if ci_have ninja; then generator=(-G Ninja); fi
ci_log "example: configuring with CMAKE_PREFIX_PATH=${work}/prefix only"
cmake -S "${work}/orders" -B "${work}/build" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH="${work}/prefix" >/dev/null
if grep -q -F "${CI_ROOT}" "${work}/build/CMakeCache.txt"; then
  grep -n -F "${CI_ROOT}" "${work}/build/CMakeCache.txt" >&2
  ci_die "example: the example's build refers to the repository (${CI_ROOT})"
fi
cmake --build "${work}/build" -j 2

ci_log "example: memory mode"
ctest --test-dir "${work}/build" -L memory --output-on-failure

if [[ -z "${REDIS_URL:-}" || -z "${DATABASE_URL:-}" || -z "${MESSAGE_DB_URL:-}" ]]; then
  ci_log "example: test mode SKIPPED: REDIS_URL, DATABASE_URL and MESSAGE_DB_URL are not all set"
  exit 0
fi
ci_log "example: test mode (REDIS_URL=${REDIS_URL})"
ctest --test-dir "${work}/build" -L test --output-on-failure

closed_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
ci_log "example: test mode with Redis unreachable (REDIS_URL on closed port ${closed_port})"
set +e
REDIS_URL="redis://127.0.0.1:${closed_port}/0" "${work}/build/orders_test" --protean-env test \
  --gtest_filter='OrdersTest.GoodOrderIsInvoicedAndShipped' >"${work}/redis-down.log" 2>&1
rc=$?
set -e
if [[ ${rc} -eq 0 ]]; then
  cat "${work}/redis-down.log" >&2
  ci_die "example: the test-mode test passed with Redis unreachable"
fi
if ! grep -q "cannot be reached" "${work}/redis-down.log"; then
  cat "${work}/redis-down.log" >&2
  ci_die "example: the test-mode test failed, but not because Redis cannot be reached"
fi
grep -m1 "cannot be reached" "${work}/redis-down.log" >&2
ci_log "example: the test-mode test fails with Redis unreachable (exit ${rc}), as it must"
