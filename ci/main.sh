#!/usr/bin/env bash
# ci/main.sh — the main job: install deps, build, then run the scenario suites in
# memory mode:
#   $BUILD_DIR/harness/protean-harness run scenarios --protean-env memory \
#       --jobs $(nproc) --junit reports/scenarios-memory.xml --json reports/scenarios-memory.json \
#       --report reports/html
# and check the HTML report in headless Chromium (ci/report_browser_check.sh).
# Needs no services.
#
# Environment:
#   BUILD_DIR        build folder (default build)
#   BUILD_TYPE, SANITIZE — see ci/build.sh
#   CI_SKIP_INSTALL  1 → skip the install step
#   CI_DEADLINE      seconds before steps are cut short (default 5100 = 85 min)
# Step functions are called indirectly, through ci_step:
# shellcheck disable=SC2317
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

BUILD_DIR="${BUILD_DIR:-build}"
REPORTS="${CI_ROOT}/reports"
HARNESS="${BUILD_DIR}/harness/protean-harness"
export BUILD_DIR

mkdir -p "${REPORTS}"
rm -f "${REPORTS}/scenarios-memory.xml"
rm -rf "${REPORTS}/html" "${REPORTS}/report-check"

step_deps() {
  ci_timeout "$(ci_budget 1800)" bash ci/install_deps.sh
}

step_build() {
  ci_timeout "$(ci_budget 3600)" bash ci/build.sh "${BUILD_DIR}"
}

# ---- scenario suites, memory mode --------------------------------------------
step_scenarios_memory() {
  [[ -x "${HARNESS}" ]] || ci_die "${HARNESS} was not built"
  ci_timeout "$(ci_budget 3000)" \
    "${HARNESS}" run scenarios --protean-env memory --jobs "$(nproc)" \
      --junit "${REPORTS}/scenarios-memory.xml" --json "${REPORTS}/scenarios-memory.json" \
      --report "${REPORTS}/html"
}

step_report_browser() {
  ci_timeout "$(ci_budget 600)" bash ci/report_browser_check.sh "${REPORTS}/html"
}

ci_log "main job: repo ${CI_ROOT}, build dir ${BUILD_DIR}"
if [[ "${CI_SKIP_INSTALL:-0}" == "1" ]]; then
  ci_skip_step "deps" "CI_SKIP_INSTALL=1"
else
  ci_step "deps" step_deps
fi
ci_step "build" step_build
if ci_step_ok "build"; then
  ci_step "scenario suites, memory mode" step_scenarios_memory
else
  ci_skip_step "scenario suites, memory mode" "build failed"
fi
if ci_step_ok "build"; then
  ci_step "HTML report, headless browser" step_report_browser
else
  ci_skip_step "HTML report, headless browser" "build failed"
fi

status=0
ci_summary || status=1
if [[ -s "${REPORTS}/scenarios-memory.xml" ]]; then
  ci_junit_totals "${REPORTS}/scenarios-memory.xml"
fi
exit "${status}"
