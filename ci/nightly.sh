#!/usr/bin/env bash
# ci/nightly.sh — the runs too long for every CI run (ci/test.sh):
#
#   1. build               ci/build.sh $BUILD_DIR
#   2. mutation testing    ci/mutate.sh --unit: every mutant of ci/mutants/catalogue.txt,
#                          the kill matrix in reports/mutation.md (copy it to
#                          docs/mutation.md when it changes)
#   3. long swarm          ci/swarm.sh for NIGHTLY_SWARM_SECONDS (default 1800)
#   4. sanitizers          ci/sanitizers.sh asan-build, asan-test, tsan (TSan against real
#                          Redis and PostgreSQL, started for that step alone)
#   5. long fuzzing        ci/fuzz.sh for NIGHTLY_FUZZ_SECONDS per target (default 300)
#   6. hostile inputs      ci/hostile_inputs.sh $BUILD_DIR: NIGHTLY_HOSTILE_COUNT (default 5000)
#                          generated configuration and scenario files, none may crash or
#                          hang (kept in reports/hostile/)
#
# Starts its own services for the TSan step only. Exit 1 when a step failed.
# Environment: BUILD_DIR (default build), CI_SKIP_INSTALL, NIGHTLY_SWARM_SECONDS,
# NIGHTLY_FUZZ_SECONDS, NIGHTLY_HOSTILE_COUNT, NIGHTLY_REDIS_PORT, NIGHTLY_PG_PORT, CI_DEADLINE
# (default 4 h).
# Step functions are called indirectly, through ci_step:
# shellcheck disable=SC2317
set -euo pipefail

CI_DEADLINE="${CI_DEADLINE:-14400}"
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

BUILD_DIR="${BUILD_DIR:-build}"
REPORTS="${CI_ROOT}/reports"
mkdir -p "${REPORTS}"
export BUILD_DIR

step_deps() { CI_SANITIZERS=1 ci_timeout "$(ci_budget 1800)" bash ci/install_deps.sh; }
step_build() { ci_timeout "$(ci_budget 3600)" bash ci/build.sh "${BUILD_DIR}"; }
step_mutate() {
  ci_timeout "$(ci_budget 7200)" bash ci/mutate.sh --unit --out "${REPORTS}/mutation.md" \
    --log "${REPORTS}/mutation.log"
}
step_swarm() {
  SWARM_SECONDS="${NIGHTLY_SWARM_SECONDS:-1800}" \
    ci_timeout "$(ci_budget $((${NIGHTLY_SWARM_SECONDS:-1800} + 600)))" bash ci/swarm.sh "${BUILD_DIR}"
}
step_asan_build() { ci_timeout "$(ci_budget 3600)" bash ci/sanitizers.sh asan-build; }
step_asan_test() { ci_timeout "$(ci_budget 1800)" bash ci/sanitizers.sh asan-test; }
# TSan runs the server end-to-end tests against real Redis and PostgreSQL:
# started here for the step (on NIGHTLY_REDIS_PORT / NIGHTLY_PG_PORT, default
# 6392 / 5435, so a CI run's services on 6390 / 5433 can share the machine)
# and stopped after it.
step_tsan() {
  local status=0
  export PROTEAN_REDIS_PORT="${NIGHTLY_REDIS_PORT:-6392}" PROTEAN_PG_PORT="${NIGHTLY_PG_PORT:-5435}"
  ci_timeout "$(ci_budget 600)" bash ci/services.sh start || return 1
  (
    set -a
    # shellcheck source=/dev/null
    source "${CI_WORK}/services.env"
    set +a
    ci_timeout "$(ci_budget 3600)" bash ci/sanitizers.sh tsan
  ) || status=1
  bash ci/services.sh stop || status=1
  return "${status}"
}
step_fuzz() {
  FUZZ_SECONDS="${NIGHTLY_FUZZ_SECONDS:-300}" ci_timeout "$(ci_budget 3600)" bash ci/fuzz.sh build-asan
}
step_hostile() {
  HOSTILE_COUNT="${NIGHTLY_HOSTILE_COUNT:-5000}" ci_timeout "$(ci_budget 2400)" \
    bash ci/hostile_inputs.sh "${BUILD_DIR}"
}

if [[ "${CI_SKIP_INSTALL:-0}" == "1" ]]; then
  ci_skip_step "deps" "CI_SKIP_INSTALL=1"
else
  ci_step "deps" step_deps
fi
ci_step "build" step_build
if ci_step_ok "build"; then
  ci_step "mutation testing" step_mutate
  ci_step "long swarm" step_swarm
  ci_step "hostile inputs" step_hostile
else
  ci_skip_step "mutation testing" "build failed"
  ci_skip_step "long swarm" "build failed"
  ci_skip_step "hostile inputs" "build failed"
fi
ci_step "ASan+UBSan build" step_asan_build
if ci_step_ok "ASan+UBSan build"; then
  ci_step "ASan+UBSan tests" step_asan_test
  ci_step "long fuzzing" step_fuzz
else
  ci_skip_step "ASan+UBSan tests" "ASan+UBSan build failed"
  ci_skip_step "long fuzzing" "ASan+UBSan build failed"
fi
ci_step "TSan (real-runtime tests)" step_tsan

status=0
ci_summary || status=1
exit "${status}"
