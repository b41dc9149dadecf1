# shellcheck shell=bash
# ci/lib.sh — helpers shared by the ci/*.sh scripts. Sourced, never run.
#
# Defines:
#   CI_ROOT   absolute path of the repository root (the folder holding ci/)
#   CI_WORK   scratch folder for services and caches: $CI_ROOT/ci/.work (gitignored)
#   ci_log MSG...    print "[ci HH:MM:SS] MSG" to stderr
#   ci_die MSG...    print "[ci] ERROR: MSG" to stderr and exit 1
#   ci_have CMD      true when CMD is on PATH
# It also makes sure PATH holds the system folders (sbin included) so the
# scripts behave the same under a minimal CI environment as in a login shell.

CI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CI_WORK="${CI_ROOT}/ci/.work"
export CI_ROOT CI_WORK

case ":${PATH:-}:" in
  *:/usr/sbin:*) ;;
  *) PATH="${PATH:+${PATH}:}/usr/local/sbin:/usr/sbin:/sbin" ;;
esac
case ":${PATH}:" in
  *:/usr/bin:*) ;;
  *) PATH="${PATH}:/usr/local/bin:/usr/bin:/bin" ;;
esac
export PATH

ci_log() {
  printf '[ci %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

ci_die() {
  printf '[ci] ERROR: %s\n' "$*" >&2
  exit 1
}

ci_have() {
  command -v "$1" >/dev/null 2>&1
}

# ------------------------------------------------------------------ steps
# A job is a list of steps; each step's result is recorded and summarised.
#   ci_step NAME FUNC [ARGS...]   run FUNC in a subshell with errexit on; PASS/FAIL
#                                 by exit status; a step that calls ci_skip is SKIP
#   ci_skip_step NAME REASON      record a step as SKIP without running it
#   ci_skip REASON                (inside a step) print why and end the step as SKIP
#   ci_step_ok NAME               true when step NAME passed
#   ci_summary                    print one line per step; returns 1 if any failed
#   ci_budget SECS                SECS, capped by what is left of CI_DEADLINE (seconds
#                                 since the script started, default 85 min) less 2 min
#                                 kept for stopping services and the summary
#   ci_timeout SECS CMD...        run CMD under timeout(1) (--kill-after=30); with a
#                                 terminal on stdin in --foreground mode so Ctrl-C
#                                 reaches CMD; otherwise CMD's whole process group
#                                 is killed on expiry
#   ci_ctest_flaky LOG            the tests a ctest log shows failing, then passing on a rerun
#   ci_junit_totals FILE...       print "total: N passed, N failed, N skipped" from JUnit XML,
#                                 then a "failed: NAME" line for each failed test case

CI_DEADLINE="${CI_DEADLINE:-5100}"
CI_STEP_NAMES=()
CI_STEP_RESULTS=()
CI_STEP_NOTES=()
CI_SKIP_CODE=200

ci_skip() {
  ci_log "SKIPPED: $*"
  printf '%s\n' "$*" >"${CI_STEP_NOTE_FILE:-/dev/null}"
  exit "${CI_SKIP_CODE}"
}

ci_budget() {
  local want="$1" left
  left=$((CI_DEADLINE - SECONDS - 120))
  if ((left < 30)); then left=30; fi
  if ((want < left)); then echo "${want}"; else echo "${left}"; fi
}

ci_timeout() {
  local secs="$1"
  shift
  if [[ -t 0 ]]; then
    timeout --foreground --kill-after=30 "${secs}" "$@"
  else
    timeout --kill-after=30 "${secs}" "$@"
  fi
}

ci_step() {
  local name="$1" rc t0=${SECONDS} note=""
  shift
  if ((SECONDS > CI_DEADLINE - 150)); then
    ci_skip_step "${name}" "out of time (CI_DEADLINE=${CI_DEADLINE}s)"
    return 0
  fi
  CI_STEP_NOTE_FILE="$(mktemp)"
  export CI_STEP_NOTE_FILE
  printf '\n' >&2
  ci_log "==> ${name}"
  set +e
  (
    set -euo pipefail
    "$@"
  )
  rc=$?
  set -e
  note="$(cat "${CI_STEP_NOTE_FILE}" 2>/dev/null || true)"
  rm -f "${CI_STEP_NOTE_FILE}"
  unset CI_STEP_NOTE_FILE
  local took
  took="$(printf '%d:%02d' $(((SECONDS - t0) / 60)) $(((SECONDS - t0) % 60)))"
  CI_STEP_NAMES+=("${name}")
  if ((rc == 0)); then
    CI_STEP_RESULTS+=("PASS")
    CI_STEP_NOTES+=("${took}${note:+; ${note}}")
  elif ((rc == CI_SKIP_CODE)); then
    CI_STEP_RESULTS+=("SKIP")
    CI_STEP_NOTES+=("${note}")
  else
    local why="exit ${rc}"
    if ((rc == 124 || rc == 137)); then why="timed out (exit ${rc})"; fi
    CI_STEP_RESULTS+=("FAIL")
    CI_STEP_NOTES+=("${took}, ${why}")
  fi
  ci_log "<== ${name}: ${CI_STEP_RESULTS[-1]} (${CI_STEP_NOTES[-1]})"
  return 0
}

ci_skip_step() {
  CI_STEP_NAMES+=("$1")
  CI_STEP_RESULTS+=("SKIP")
  CI_STEP_NOTES+=("$2")
  ci_log "<== $1: SKIP ($2)"
}

ci_step_ok() {
  local i
  for i in "${!CI_STEP_NAMES[@]}"; do
    if [[ "${CI_STEP_NAMES[i]}" == "$1" ]]; then
      [[ "${CI_STEP_RESULTS[i]}" == "PASS" ]]
      return
    fi
  done
  return 1
}

ci_summary() {
  local i failed=0
  echo
  echo "==================== CI summary ===================="
  for i in "${!CI_STEP_NAMES[@]}"; do
    printf '%-4s  %-40s %s\n' "${CI_STEP_RESULTS[i]}" "${CI_STEP_NAMES[i]}" "(${CI_STEP_NOTES[i]})"
    if [[ "${CI_STEP_RESULTS[i]}" == "FAIL" ]]; then failed=1; fi
  done
  echo "===================================================="
  return "${failed}"
}

# The tests a ctest log (run with --repeat until-pass:N) shows failing and
# then passing, space-separated: the flaky ones.
ci_ctest_flaky() {
  awk '
    / Test +#[0-9]+: / {
      name = $0
      sub(/^.* Test +#[0-9]+: /, "", name)
      sub(/ \.+.*$/, "", name)
      if ($0 ~ /\*\*\*(Failed|Timeout|Exception)/) failed[name] = 1
      else if ($0 ~ /[.] +Passed +[0-9.]+ sec/) passed[name] = 1
    }
    END { for (n in failed) if (n in passed) print n }' "$1" | sort | paste -sd' ' -
}

# Counts <testcase>s across JUnit files: failed = has <failure> or <error>,
# skipped = has <skipped> or status="disabled"/"notrun"; the rest passed.
ci_junit_totals() {
  local files=() f
  for f in "$@"; do
    if [[ -s "${f}" ]]; then files+=("${f}"); fi
  done
  if [[ ${#files[@]} -eq 0 ]]; then
    echo "total: 0 passed, 0 failed, 0 skipped"
    return 0
  fi
  { grep -ohE '<testcase([[:space:]/>][^>]*)?|</testcase>|<failure|<error|<skipped' \
      "${files[@]}" || true; } |
    awk '
      function flush() {
        if (open) { if (f) { failed++; names = names "\n  failed: " name } else if (s) skipped++; else passed++ }
        open = 0; f = 0; s = 0
      }
      /^<testcase/ {
        flush(); open = 1
        name = "(unnamed)"
        if (match($0, /[[:space:]]name="[^"]*"/)) name = substr($0, RSTART + 7, RLENGTH - 8)
        if ($0 ~ /status="(disabled|notrun)"/) s = 1
        next
      }
      /^<\/testcase>/ { flush(); next }
      /^<failure|^<error/ { if (open) f = 1; next }
      /^<skipped/ { if (open) s = 1; next }
      END { flush(); printf "total: %d passed, %d failed, %d skipped%s\n", passed, failed, skipped, names }'
}
