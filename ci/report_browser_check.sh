#!/usr/bin/env bash
# ci/report_browser_check.sh — the HTML report (harness/html_report.h) in a real browser.
#
#   1. runs a small set of scenarios, one of them failing on purpose
#      (tests/harness/fixtures/failing_duplicates.toml), with --report;
#   2. writes a synthetic history of 100,000 events (ci/report_synthetic_history.js) and
#      builds its report with `protean-harness report`;
#   3. opens the index, the failing case's page and the 100k-event page in headless
#      Chromium: each page's self-check (#selfcheck, set by its script once lanes and
#      events are drawn and its canvas is not blank; on the failing page also once the
#      verdict's events are highlighted, and a hover, a wheel zoom, a drag pan and a
#      double-click fit driven by the page's #interact self-test worked) must say
#      data-ok="1", and a screenshot of each must not be blank (ci/report_png_check.js:
#      decoded, many colours, enough ink);
#   4. with a folder argument (the suite's report from `run --report`), checks its
#      index the same way.
# Screenshots and the pages go to $REPORTS/report-check/. Prints the timings.
# Chromium is installed when missing (CI_BROWSER=1 ci/install_deps.sh, needs root).
#
# Usage: bash ci/report_browser_check.sh [SUITE_REPORT_DIR]
# Environment: BUILD_DIR (default build), REPORTS (default reports/), CHROMIUM (default chromium)
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

BUILD_DIR="${BUILD_DIR:-build}"
REPORTS="${REPORTS:-${CI_ROOT}/reports}"
HARNESS="${BUILD_DIR}/harness/protean-harness"
CHROMIUM="${CHROMIUM:-chromium}"
OUT="${REPORTS}/report-check"
SUITE_REPORT="${1:-}"

[[ -x "${HARNESS}" ]] || ci_die "report check: ${HARNESS} was not built"
if ! ci_have "${CHROMIUM}" || ! ci_have node; then
  if [[ ${EUID} -ne 0 ]]; then
    ci_skip "report check: chromium or node missing and not root to install them"
  fi
  CI_BROWSER=1 bash ci/install_deps.sh
fi
ci_have "${CHROMIUM}" || ci_die "report check: ${CHROMIUM} not found after install"

rm -rf "${OUT}"
mkdir -p "${OUT}"
profile="$(mktemp -d)"
trap 'rm -rf "${profile}"' EXIT

# One browser run: chromium MODE URL [extra flags]. Flags keep it from reaching the network.
browser() {
  local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
               --disable-background-networking --disable-component-update --disable-sync
               --disable-extensions --hide-scrollbars --mute-audio
               "--user-data-dir=${profile}" "--window-size=1400,1000")
  timeout 60 "${CHROMIUM}" "${flags[@]}" "$@" 2>>"${OUT}/chromium.log"
}

# check_page NAME URL [needs]: the page's self-check and its screenshot (one browser run).
# needs: "highlighted" also requires data-highlighted > 0.
check_page() {
  local name="$1" url="$2" needs="${3:-}" t0 dom marker ms
  t0=$(date +%s%N)
  dom="$(browser --dump-dom "--screenshot=${OUT}/${name}.png" "${url}")" ||
    ci_die "report check: chromium failed on ${url}"
  ms=$((($(date +%s%N) - t0) / 1000000))
  marker="$(grep -o '<div id="selfcheck"[^>]*>' <<<"${dom}" || true)"
  [[ -n "${marker}" ]] || ci_die "report check: ${name}: no #selfcheck in the rendered page"
  ci_log "report check: ${name}: ${marker} (chromium ${ms} ms)"
  [[ "${marker}" == *'data-ok="1"'* ]] || ci_die "report check: ${name}: self-check failed"
  if [[ "${needs}" == "highlighted" && ! "${marker}" =~ data-highlighted=\"[1-9] ]]; then
    ci_die "report check: ${name}: the verdict's events are not highlighted"
  fi
  if [[ "${url}" == *'#interact' && "${marker}" != *'data-interact-ok="1"'* ]]; then
    ci_die "report check: ${name}: hover, zoom, pan or fit did not work"
  fi
  [[ -s "${OUT}/${name}.png" ]] || ci_die "report check: ${name}: no screenshot"
  node ci/report_png_check.js "${OUT}/${name}.png" >&2 ||
    ci_die "report check: ${name}: the screenshot is blank"
}

t_start=$(date +%s%N)
set +e
"${HARNESS}" run tests/harness/fixtures/failing_duplicates.toml scenarios/chaos/crash_restart.toml \
  scenarios/retries/fixed_backoff.toml scenarios/shutdown/sigterm_while_handling.toml \
  --report "${OUT}/run" >"${OUT}/run.log" 2>&1
rc=$?
set -e
[[ ${rc} -eq 1 ]] ||
  ci_die "report check: the run with the failing fixture exited ${rc}, expected 1 (see ${OUT}/run.log)"
grep '^report:' "${OUT}/run.log" >&2

syn="${OUT}/synthetic/histories"
mkdir -p "${syn}"
node ci/report_synthetic_history.js 100000 "${syn}/synthetic_large__memory__1.jsonl" >&2
t0=$(date +%s%N)
"${HARNESS}" report --history "${syn}" --out "${OUT}/synthetic" >&2
ci_log "report check: 100k-event report built in $((($(date +%s%N) - t0) / 1000000)) ms"

check_page index "file://${OUT}/run/index.html"
check_page failing-case \
  "file://${OUT}/run/cases/fixtures_failing-duplicates__memory__1.html#interact" highlighted
check_page synthetic-100k "file://${OUT}/synthetic/cases/synthetic_large-100000__memory__1.html#bench"
if [[ -n "${SUITE_REPORT}" ]]; then
  [[ -f "${SUITE_REPORT}/index.html" ]] || ci_die "report check: no ${SUITE_REPORT}/index.html"
  check_page suite-index "file://$(cd "${SUITE_REPORT}" && pwd -P)/index.html"
fi
ci_log "report check: ok in $((($(date +%s%N) - t_start) / 1000000)) ms; screenshots in ${OUT}"
