#!/usr/bin/env bash
# ci/bench.sh — builds in Release and runs every benchmark. Prints one JSON
# object per line on stdout (also kept in ci/.work/bench/figures.jsonl):
#   {"metric": NAME, "value": V, "unit": U[, "min": A, "max": B, "runs": N]}
#   {"scaling": SECTION, "n": N, "value": V, "unit": U}
#   {"goal": NAME, "value": V, "target": T, "met": true|false}
# "value" is the median when a figure was sampled several times. Build output,
# Google Benchmark's tables and the harness's reports go to stderr.
#
# Never hangs: every program runs under timeout(1) and the benchmark programs
# have their own watchdog (BENCH_BUDGET_S) and a deadline on every wait. Exit 1
# when a step failed or overran, or when an expected figure is missing; a goal
# that is not met is reported ("met": false) but does not fail the run.
#
# Figures (see docs/performance.md for what each measures and the goals):
#   tests/bench/engine_benchmark (memory mode)
#     memory_throughput_msgs_per_s, raw_queue_msgs_per_s, decode_envelope_msgs_per_s,
#     sim_time_acceleration
#     scaling sim_run_s, sim_run_us_per_msg (10k, 100k, 1M messages)
#   protean-harness (memory mode)
#     suite_wall_s            the whole scenario suite, one seed each, --jobs 2
#     swarm_runs_per_min      scenario x seed runs per wall minute of
#                             `run scenarios --seeds N --jobs 2`
#     swarm_runs_per_cpu_min  the same per CPU minute used (x 2 = an idle 2-core machine)
#     scaling harness_run_s   one scenario of 10k and 100k messages
#   tests/bench/real_benchmark against Redis and PostgreSQL + Message DB
#     redis_*, peer_python_*, messagedb_*; scaling processes, subscriptions,
#     rss_per_10k_pending, claim_100k_idle_broker, claim_100k_idle_engine
#
# Services: when none answer, ci/services.sh starts them (on PROTEAN_REDIS_PORT /
# PROTEAN_PG_PORT, defaults 6390 / 5433) and stops them afterwards.
#
# Environment:
#   BENCH_BUILD_DIR       build folder (default build-release)
#   BENCH_MIN_TIME        --benchmark_min_time of the memory benchmarks, s (default 1)
#   BENCH_REPETITIONS     repetitions of the memory benchmarks (default 3)
#   BENCH_SWARM_SEEDS     seeds of the swarm (default: chosen so it takes ~BENCH_SWARM_S)
#   BENCH_SWARM_S         target duration of the swarm, s (default 30)
#   BENCH_SKIP_BUILD      1 → use the binaries already in BENCH_BUILD_DIR
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

BENCH_BUILD_DIR="${BENCH_BUILD_DIR:-build-release}"
BENCH_MIN_TIME="${BENCH_MIN_TIME:-1}"
BENCH_REPETITIONS="${BENCH_REPETITIONS:-3}"
BENCH_SWARM_S="${BENCH_SWARM_S:-30}"
out_dir="${CI_WORK}/bench"
figures="${out_dir}/figures.jsonl"
mkdir -p "${out_dir}"
: >"${figures}"
failed=()

ci_log "bench: uptime before: $(uptime)"
if [[ "${BENCH_SKIP_BUILD:-0}" != "1" ]]; then
  {
    bash ci/install_deps.sh
    # Only what the benchmarks run: the tests are not built.
    export CCACHE_BASEDIR="${CCACHE_BASEDIR:-${CI_ROOT}}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
    launcher=()
    if ci_have ccache; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
    cmake -S . -B "${BENCH_BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPROTEAN_SANITIZE=OFF \
      "${launcher[@]}"
    cmake --build "${BENCH_BUILD_DIR}" -j "${JOBS:-$(nproc)}" \
      --target engine_benchmark real_benchmark protean protean-harness
  } >&2
fi
harness="${BENCH_BUILD_DIR}/harness/protean-harness"

emit() { tee -a "${figures}"; }
metric() { printf '{"metric": "%s", "value": %s, "unit": "%s"}\n' "$1" "$2" "$3" | emit; }
scaling() { printf '{"scaling": "%s", "n": %s, "value": %s, "unit": "%s"}\n' "$1" "$2" "$3" "$4" | emit; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# CPU seconds (user + sys) used by this shell's finished children so far
# (`times` must run in this shell, not in a subshell).
child_cpu() {
  times >"${out_dir}/times"
  awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "${out_dir}/times"
}

# step NAME SECONDS CMD...: CMD's stdout joins the figures; a failure or an
# overrun is recorded and the run goes on.
step() {
  local name="$1" secs="$2" rc=0
  shift 2
  ci_log "bench: ${name} (at most ${secs} s)"
  ci_timeout "${secs}" "$@" | emit || rc=$?
  if ((rc != 0)); then
    if ((rc == 124 || rc == 137)); then
      ci_log "bench: ${name} TIMED OUT after ${secs} s"
    else
      ci_log "bench: ${name} FAILED (exit ${rc})"
    fi
    failed+=("${name}")
  fi
}

# ------------------------------------------------------------ memory mode
BENCH_BUDGET_S=240 step engine_benchmark 300 "${BENCH_BUILD_DIR}/tests/bench/engine_benchmark" \
  --benchmark_filter='BM_MemoryThroughput|BM_RawQueue|BM_DecodeEnvelope|BM_SimAcceleration' \
  --benchmark_min_time="${BENCH_MIN_TIME}" --benchmark_repetitions="${BENCH_REPETITIONS}"
BENCH_BUDGET_S=240 step engine_benchmark_sim_run 300 \
  "${BENCH_BUILD_DIR}/tests/bench/engine_benchmark" --benchmark_filter='BM_SimRun'

# The suite once (one seed each), which also sizes the swarm.
t0=$(now)
if ci_timeout 300 "${harness}" run scenarios --protean-env memory --jobs 2 >&2; then
  t1=$(now)
  suite_s="$(elapsed "${t0}" "${t1}")"
  metric suite_wall_s "${suite_s}" s
else
  failed+=(suite)
  suite_s=10
fi
scenarios="$(find scenarios -name '*.toml' | wc -l)"
seeds="${BENCH_SWARM_SEEDS:-$(awk -v t="${suite_s}" -v s="${BENCH_SWARM_S}" \
  'BEGIN { n = int(s / (t > 0.01 ? t : 0.01)); print (n < 1 ? 1 : (n > 500 ? 500 : n)) }')}"
ci_log "bench: swarm of ${scenarios} scenarios x ${seeds} seeds"
child_cpu >"${out_dir}/cpu0"
t0=$(now)
if ci_timeout 600 "${harness}" run scenarios --protean-env memory --seeds "${seeds}" --jobs 2 \
  >"${out_dir}/swarm.log" 2>&1; then
  t1=$(now)
  child_cpu >"${out_dir}/cpu1"
  tail -n 3 "${out_dir}/swarm.log" >&2
  runs=$((scenarios * seeds))
  metric swarm_runs_per_min "$(awk -v n="${runs}" -v s="$(elapsed "${t0}" "${t1}")" \
    'BEGIN { printf "%.0f", n * 60 / s }')" runs/min
  cpu_s="$(awk -v a="$(cat "${out_dir}/cpu0")" -v b="$(cat "${out_dir}/cpu1")" 'BEGIN { print b - a }')"
  metric swarm_runs_per_cpu_min "$(awk -v n="${runs}" -v s="${cpu_s}" \
    'BEGIN { printf "%.0f", n * 60 / s }')" runs/cpu-min
else
  tail -n 20 "${out_dir}/swarm.log" >&2
  failed+=(swarm)
fi

# One scenario of N messages through the harness (recorder and checkers included).
for n in 10000 100000; do
  cat >"${out_dir}/sim_${n}.toml" <<EOF
[scenario]
name = "bench-run-${n}"
description = "ci/bench.sh: ${n} messages, one no-op handler"
modes = ["memory"]
[handlers.Sink]
stream = "orders"
[handlers.Sink.subscription_config]
messages_per_tick = 100
[[workload]]
at_ms = 0
stream = "orders"
count = ${n}
interval_ms = 1
type = "OrderPlaced"
[phases]
converge_within_ms = 600000
[expect]
handled = ${n}
EOF
  t0=$(now)
  if ci_timeout 180 "${harness}" run "${out_dir}/sim_${n}.toml" --protean-env memory >&2; then
    scaling harness_run_s "${n}" "$(elapsed "${t0}" "$(now)")" s
  else
    failed+=("harness_run_${n}")
  fi
done

# ------------------------------------------------------------ real backends
started=0
# shellcheck disable=SC2317  # called by the EXIT trap
stop_services() { if [[ ${started} -eq 1 ]]; then bash ci/services.sh stop >&2 || true; fi; }
trap stop_services EXIT
if ! bash ci/services.sh status >/dev/null 2>&1; then
  started=1
  bash ci/services.sh start >&2
fi
# shellcheck source=/dev/null
source "${CI_WORK}/services.env"
BENCH_BUDGET_S=600 step real_benchmark 660 "${BENCH_BUILD_DIR}/tests/bench/real_benchmark"
step ops_benchmark 130 bash ci/bench_ops.sh "${BENCH_BUILD_DIR}/app/protean"

# ------------------------------------------------------------ checks
expected_metrics=(
  memory_throughput_msgs_per_s raw_queue_msgs_per_s decode_envelope_msgs_per_s
  sim_time_acceleration
  suite_wall_s swarm_runs_per_min swarm_runs_per_cpu_min
  redis_consume_ack_msgs_per_s redis_consume_ack_inline_msgs_per_s redis_raw_pipeline_msgs_per_s
  peer_python_consume_ack_msgs_per_s redis_consume_ack_over_raw redis_engine_over_peer_python
  redis_concurrency1_msgs_per_s redis_concurrency8_msgs_per_s redis_concurrency8_over_1
  messagedb_category_read_msgs_per_s messagedb_category_read_inline_msgs_per_s
  messagedb_adapter_read_msgs_per_s messagedb_raw_read_msgs_per_s
  messagedb_raw_narrow_read_msgs_per_s messagedb_category_over_raw
  messagedb_category_over_raw_narrow
  server_idle_rss_mb shutdown_idle_ms metrics_scrape_ms
)
expected_scaling=(
  "sim_run_s 10000" "sim_run_s 100000" "sim_run_s 1000000"
  "sim_run_us_per_msg 10000" "sim_run_us_per_msg 100000" "sim_run_us_per_msg 1000000"
  "harness_run_s 10000" "harness_run_s 100000"
  "processes 1" "processes 2" "processes 4"
  "subscriptions 1" "subscriptions 10" "subscriptions 100"
  "rss_per_10k_pending 10000" "rss_per_10k_pending 50000"
  "claim_100k_idle_broker 100000" "claim_100k_idle_engine 100000"
)
value_of() { grep -F "\"metric\": \"$1\"," "${figures}" | head -n 1 | sed -E 's/.*"value": ([^,}]*).*/\1/'; }
missing=()
for m in "${expected_metrics[@]}"; do
  [[ -n "$(value_of "${m}")" ]] || missing+=("${m}")
done
for s in "${expected_scaling[@]}"; do
  read -r section n <<<"${s}"
  grep -qF "\"scaling\": \"${section}\", \"n\": ${n}," "${figures}" || missing+=("scaling ${section} n=${n}")
done

# goal NAME VALUE_METRIC TARGET: VALUE >= TARGET.
goal() {
  local v
  v="$(value_of "$2")"
  [[ -n "${v}" ]] || return 0
  awk -v name="$1" -v v="${v}" -v t="$3" 'BEGIN {
    printf "{\"goal\": \"%s\", \"value\": %s, \"target\": %s, \"met\": %s}\n", name, v, t,
           (v + 0 >= t + 0) ? "true" : "false" }' | emit
}
goal "redis_consume_ack >= 0.7 x redis_raw_pipeline" redis_consume_ack_over_raw 0.7
goal "engine >= 20 x peer_python" redis_engine_over_peer_python 20
goal "messagedb_category_read >= 0.7 x messagedb_raw_read" messagedb_category_over_raw 0.7
goal "redis_concurrency8 >= 6 x redis_concurrency1" redis_concurrency8_over_1 6
goal "memory_throughput >= 2,000,000 msgs/s" memory_throughput_msgs_per_s 2000000
goal "swarm_runs_per_min >= 10,000" swarm_runs_per_min 10000

ci_log "bench: uptime after: $(uptime)"
ci_log "bench: ${SECONDS} s in all"
status=0
if ((${#missing[@]} > 0)); then
  ci_log "bench: MISSING figures: ${missing[*]}"
  status=1
fi
if ((${#failed[@]} > 0)); then
  ci_log "bench: FAILED steps: ${failed[*]}"
  status=1
fi
exit "${status}"
