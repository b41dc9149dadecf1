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
#   redis_consume_ack_msgs_per_s, redis_raw_pipeline_msgs_per_s,
#   messagedb_category_read_msgs_per_s, messagedb_raw_read_msgs_per_s
#       tests/bench/real_benchmark against Redis and PostgreSQL + Message DB
#       started by ci/services.sh (and stopped afterwards)
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

# Real backends: each ratio's two figures come from one run against one server.
started=0
stop_services() { if [[ ${started} -eq 1 ]]; then bash ci/services.sh stop >&2 || true; fi; }
trap stop_services EXIT
if ! bash ci/services.sh status >/dev/null 2>&1; then
  started=1
  bash ci/services.sh start >&2
fi
# shellcheck source=/dev/null
source "${CI_WORK}/services.env"
"${BENCH_BUILD_DIR}/tests/bench/real_benchmark"
