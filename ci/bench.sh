#!/usr/bin/env bash
# ci/bench.sh — builds in Release and runs the benchmarks. Prints one JSON
# object per line on stdout: {"metric": NAME, "value": NUMBER, "unit": UNIT}.
# Build output and Google Benchmark's tables go to stderr.
#
# Metrics:
#   memory_throughput_msgs_per_s, raw_queue_msgs_per_s, sim_time_acceleration
#       tests/bench/engine_benchmark (Google Benchmark)
#   suite_wall_s          the whole memory-mode scenario suite, one seed each
#   swarm_seeds_per_min   one chaos scenario under --seeds N
#
# Environment:
#   BENCH_BUILD_DIR    build folder (default build-release)
#   BENCH_MIN_TIME     --benchmark_min_time per benchmark, seconds (default 1)
#   BENCH_SWARM_SEEDS  seeds for swarm_seeds_per_min (default 2000)
#   BENCH_SWARM_SCENARIO  scenario file (default: the first of scenarios/chaos/)
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

BENCH_BUILD_DIR="${BENCH_BUILD_DIR:-build-release}"
BENCH_MIN_TIME="${BENCH_MIN_TIME:-1}"
BENCH_SWARM_SEEDS="${BENCH_SWARM_SEEDS:-2000}"

{
  bash ci/install_deps.sh
  BUILD_TYPE=Release bash ci/build.sh "${BENCH_BUILD_DIR}"
} >&2

"${BENCH_BUILD_DIR}/tests/bench/engine_benchmark" --benchmark_min_time="${BENCH_MIN_TIME}"

now() { date +%s.%N; }
metric() { printf '{"metric": "%s", "value": %s, "unit": "%s"}\n' "$1" "$2" "$3"; }
harness="${BENCH_BUILD_DIR}/harness/protean-harness"

t0=$(now)
"${harness}" run scenarios --protean-env memory >&2
t1=$(now)
metric suite_wall_s "$(awk -v a="${t0}" -v b="${t1}" 'BEGIN { printf "%.3f", b - a }')" s

swarm="${BENCH_SWARM_SCENARIO:-$(find scenarios/chaos -name '*.toml' | sort | head -n 1)}"
t0=$(now)
"${harness}" run "${swarm}" --protean-env memory --seeds "${BENCH_SWARM_SEEDS}" >&2
t1=$(now)
metric swarm_seeds_per_min \
  "$(awk -v a="${t0}" -v b="${t1}" -v n="${BENCH_SWARM_SEEDS}" 'BEGIN { printf "%.0f", n * 60 / (b - a) }')" \
  seeds/min
