#!/usr/bin/env bash
# ci/bench.sh — builds in Release and runs the benchmarks. Prints one JSON
# object per line on stdout: {"metric": NAME, "value": NUMBER, "unit": UNIT}.
# Google Benchmark's tables and build output go to stderr.
#
# Environment:
#   BENCH_BUILD_DIR   build folder (default build-release)
#   BENCH_MIN_TIME    --benchmark_min_time per benchmark in seconds (default 1)
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

BENCH_BUILD_DIR="${BENCH_BUILD_DIR:-build-release}"
BENCH_MIN_TIME="${BENCH_MIN_TIME:-1}"

{
  bash ci/install_deps.sh
  BUILD_TYPE=Release bash ci/build.sh "${BENCH_BUILD_DIR}"
} >&2

"${BENCH_BUILD_DIR}/tests/bench/engine_benchmark" --benchmark_min_time="${BENCH_MIN_TIME}"
