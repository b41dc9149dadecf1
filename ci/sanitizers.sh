#!/usr/bin/env bash
# ci/sanitizers.sh — the sanitizer jobs: build only what each needs, run it.
#
# Usage: bash ci/sanitizers.sh asan-build | asan-test | tsan [BUILD_DIR]
#
#   asan-build  configure and build BUILD_DIR (default build-asan) with
#               AddressSanitizer + UndefinedBehaviorSanitizer + float-cast-overflow
#               (-DPROTEAN_SANITIZE=ON), and with clang also the libFuzzer targets
#               (-DPROTEAN_FUZZ=ON, run by ci/fuzz.sh): the unit tests, the memory
#               contract suites, fuzz_replay_test, protean-harness.
#   asan-test   run them: every unit test binary, the memory contract suites, the
#               fuzz corpus and regressions (fuzz_replay_test), and the scenario
#               suites in memory mode. JUnit XML in reports/asan/.
#   tsan        configure and build BUILD_DIR (default build-tsan) with
#               ThreadSanitizer (-DPROTEAN_TSAN=ON) and run the real-runtime tests:
#               RealExecutor, the engine on a real loop with worker handlers
#               (tests/unit/engine_real_loop_test.cc), and every test binary named
#               *_e2e_test (the server end-to-end tests, once they exist). JUnit XML
#               in reports/tsan/.
#
# Findings fail the job; each accepted one is suppressed in ci/sanitizers/*.supp
# with its reason (none so far). Environment: JOBS (build jobs, default nproc),
# UNITY (default 1: unity batches, as ci/build.sh; 0: one unit per file).
# Uses ccache when installed (CCACHE_BASEDIR = the repo root).
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

job="${1:-}"
jobs="${JOBS:-$(nproc)}"
supp="${CI_ROOT}/ci/sanitizers"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=${supp}/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=${supp}/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=${supp}/tsan.supp"
if ci_have ccache; then
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-${CI_ROOT}}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
fi

# The test binaries without services (label unit, and the memory contract suites).
UNIT_TESTS=(runtime_test subscription_config_test engine_test wire_format_test protean_config_test
            protean_cli_test protean_harness_test protean_proxy_test fuzz_replay_test)
CONTRACT_TESTS=(memory_contract_test)
FUZZ_TARGETS=(fuzz_config_loader fuzz_scenario_loader fuzz_message_decoder fuzz_dlq_entry
              fuzz_history_reader)

configure() {
  local dir="$1"
  shift
  # Unity batches as ci/build.sh (UNITY=0 for one unit per file).
  local args=(-S . -B "${dir}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
              -DPROTEAN_BUILD_BENCHMARKS=OFF
              "-DPROTEAN_UNITY_BUILD=$([[ "${UNITY:-1}" == "1" ]] && echo ON || echo OFF)" "$@")
  if ci_have ccache; then args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  ci_log "configure: cmake ${args[*]}"
  cmake "${args[@]}" >/dev/null
}

# Runs a gtest binary with a JUnit report; a sanitizer report aborts it.
run_gtest() {
  local dir="$1" exe="$2" out="$3"
  shift 3
  local path
  path="$(find "${dir}/tests" -type f -name "${exe}" -perm -u+x | head -1)"
  [[ -n "${path}" ]] || ci_die "${exe} not built in ${dir}"
  ci_log "run ${exe} $*"
  "${path}" --gtest_brief=1 --gtest_output="xml:${out}/${exe}.xml" "$@"
}

asan_build() {
  local dir="${1:-build-asan}" fuzz=OFF compiler=()
  if ci_have clang++; then
    fuzz=ON
    compiler=(-DCMAKE_CXX_COMPILER=clang++)
  else
    ci_log "clang++ not found: ASan build with the default compiler, no libFuzzer targets"
  fi
  configure "${dir}" -DPROTEAN_SANITIZE=ON -DPROTEAN_FUZZ="${fuzz}" "${compiler[@]}"
  local targets=("${UNIT_TESTS[@]}" "${CONTRACT_TESTS[@]}" protean-harness)
  if [[ "${fuzz}" == ON ]]; then targets+=("${FUZZ_TARGETS[@]}"); fi
  ci_log "build: ${targets[*]}"
  cmake --build "${dir}" -j "${jobs}" --target "${targets[@]}"
}

asan_test() {
  local dir="${1:-build-asan}" out="${CI_ROOT}/reports/asan" failed=0 t
  rm -rf "${out}"
  mkdir -p "${out}"
  for t in "${UNIT_TESTS[@]}" "${CONTRACT_TESTS[@]}"; do
    run_gtest "${dir}" "${t}" "${out}" || failed=1
  done
  ci_log "scenario suites, memory mode, under ASan + UBSan"
  "${dir}/harness/protean-harness" run scenarios --protean-env memory --jobs "${jobs}" \
    --junit "${out}/scenarios-memory.xml" || failed=1
  return "${failed}"
}

tsan() {
  local dir="${1:-build-tsan}" out="${CI_ROOT}/reports/tsan" failed=0 e2e=() t
  rm -rf "${out}"
  mkdir -p "${out}"
  configure "${dir}" -DPROTEAN_TSAN=ON
  # Server end-to-end tests: every test target named *_e2e_test, when there are any.
  mapfile -t e2e < <(ninja -C "${dir}" -t targets all 2>/dev/null |
                      grep -oE '^[A-Za-z0-9_]+_e2e_test(:| )' | tr -d ': ' |
                      grep -v '^cmake_' | sort -u)
  ci_log "build: runtime_test engine_test ${e2e[*]}"
  cmake --build "${dir}" -j "${jobs}" --target runtime_test engine_test "${e2e[@]}"
  run_gtest "${dir}" runtime_test "${out}" --gtest_filter='RealExecutorTest.*' || failed=1
  run_gtest "${dir}" engine_test "${out}" --gtest_filter='EngineRealLoopTest.*' || failed=1
  for t in "${e2e[@]}"; do run_gtest "${dir}" "${t}" "${out}" || failed=1; done
  return "${failed}"
}

case "${job}" in
  asan-build) asan_build "${2:-}" ;;
  asan-test) asan_test "${2:-}" ;;
  tsan) tsan "${2:-}" ;;
  *) ci_die "usage: bash ci/sanitizers.sh asan-build | asan-test | tsan [BUILD_DIR]" ;;
esac
