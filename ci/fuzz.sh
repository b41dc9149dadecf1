#!/usr/bin/env bash
# ci/fuzz.sh — run each libFuzzer target of tests/fuzz for a short budget.
#
# Usage: bash ci/fuzz.sh [BUILD_DIR]   (default build-asan: configured with
#        -DPROTEAN_FUZZ=ON -DPROTEAN_SANITIZE=ON and clang by ci/sanitizers.sh)
#
# Each target starts from its seed corpus (tests/fuzz/corpus/<target>/, kept in
# the repo; new inputs go to a scratch copy under reports/fuzz/, never into the
# repo) and runs FUZZ_SECONDS. A crash, a leak, a timeout or undefined
# behaviour fails the step and leaves the input in reports/fuzz/<target>-*;
# turn it into a regression input (tests/fuzz/regressions/<target>/, replayed by
# fuzz_replay_test) with the fix. Prints executions and coverage per target
# (libFuzzer's -print_final_stats=1 and its last "cov:" line) and writes them to
# reports/fuzz/summary.txt.
#
# Environment:
#   FUZZ_SECONDS   budget per target (default 25)
#   FUZZ_TARGETS   space-separated subset (default: all five)
#   FUZZ_MAX_LEN   libFuzzer -max_len (default 8192)
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

build_dir="${1:-build-asan}"
seconds="${FUZZ_SECONDS:-25}"
targets="${FUZZ_TARGETS:-config_loader scenario_loader message_decoder dlq_entry history_reader}"
max_len="${FUZZ_MAX_LEN:-8192}"
out="${CI_ROOT}/reports/fuzz"
mkdir -p "${out}"
: >"${out}/summary.txt"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=${CI_ROOT}/ci/sanitizers/ubsan.supp}"

failed=0
for t in ${targets}; do
  bin="${build_dir}/tests/fuzz/fuzz_${t}"
  [[ -x "${bin}" ]] || ci_die "fuzz: ${bin} not built (configure with -DPROTEAN_FUZZ=ON)"
  work="${out}/corpus-${t}"
  rm -rf "${work}"
  mkdir -p "${work}"
  dict=()
  if [[ -f "tests/fuzz/dict/${t}.dict" ]]; then dict=("-dict=tests/fuzz/dict/${t}.dict"); fi
  ci_log "fuzz: ${t} for ${seconds}s"
  rc=0
  "${bin}" -max_total_time="${seconds}" -print_final_stats=1 -max_len="${max_len}" \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="${out}/${t}-" "${dict[@]}" \
    "${work}" "tests/fuzz/corpus/${t}" >"${out}/${t}.log" 2>&1 || rc=$?
  execs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "${out}/${t}.log" | grep -oE '[0-9]+$' || echo '?')"
  cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "${out}/${t}.log" | tail -1 || true)"
  corpus="$(find "${work}" -type f | wc -l)"
  status="ok"
  if ((rc != 0)); then
    status="FAILED (exit ${rc}): $(ls "${out}/${t}-"* 2>/dev/null | head -1)"
    failed=1
    grep -E 'ERROR|runtime error|SUMMARY' "${out}/${t}.log" | head -5 >&2 || true
  fi
  line="$(printf '%-16s execs=%-9s %-22s corpus=%-5s %s' "${t}" "${execs}" "${cov:-cov: ?}" "${corpus}" "${status}")"
  echo "${line}" | tee -a "${out}/summary.txt"
done
exit "${failed}"
