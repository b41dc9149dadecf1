#!/usr/bin/env bash
# ci/swarm.sh — a budgeted swarm: random seeds over every scenario suite
# (memory mode) for a fixed time.
#
# Usage: bash ci/swarm.sh [BUILD_DIR]    (default build)
#
# Rounds of `protean-harness run scenarios --seed S --seeds SWARM_SEEDS`, each
# from a fresh random start seed S (printed), until SWARM_SECONDS have passed.
# The harness prints every failure with its seed and its one-line replay
# command (`protean-harness run FILE --protean-env memory --seed N`); this
# script repeats them at the end with the command that shrinks each one
# (`protean-harness shrink FILE --seed N`). JSON summaries of the rounds go
# to reports/swarm/. Exit 1 when a case failed, 0 otherwise.
#
# Environment:
#   SWARM_SECONDS   time budget (default 120); a round started before it ends runs to the end
#   SWARM_SEEDS     seeds per scenario per round (default 4)
#   SWARM_JOBS      parallel cases (default nproc)
#   SWARM_START     the first round's start seed (default: random); later rounds stay random
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

build_dir="${1:-${BUILD_DIR:-build}}"
harness="${build_dir}/harness/protean-harness"
[[ -x "${harness}" ]] || ci_die "swarm: ${harness} not built"
budget="${SWARM_SECONDS:-120}"
per_round="${SWARM_SEEDS:-4}"
jobs="${SWARM_JOBS:-$(nproc)}"
out="${CI_ROOT}/reports/swarm"
rm -rf "${out}"
mkdir -p "${out}"

random_seed() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; }

t0=${SECONDS}
round=0
runs=0
failed=0
while ((SECONDS - t0 < budget)); do
  round=$((round + 1))
  start="${SWARM_START:-$(random_seed)}"
  unset SWARM_START
  ci_log "swarm round ${round}: seeds ${start}..$((start + per_round - 1)) over every scenario"
  rc=0
  "${harness}" run scenarios --protean-env memory --seed "${start}" --seeds "${per_round}" \
    --jobs "${jobs}" --json "${out}/round-${round}.json" >"${out}/round-${round}.log" 2>&1 || rc=$?
  grep -E '^(FAILED|  )' "${out}/round-${round}.log" | head -200 >&2 || true
  if ((rc != 0 && rc != 1)); then
    ci_log "swarm: the harness exited ${rc} (see ${out}/round-${round}.log)"
    tail -20 "${out}/round-${round}.log" >&2
    exit 1
  fi
  n="$(grep -oE '"total": [0-9]+' "${out}/round-${round}.json" | head -1 | grep -oE '[0-9]+')"
  f="$(grep -oE '"failed": [0-9]+' "${out}/round-${round}.json" | head -1 | grep -oE '[0-9]+')"
  runs=$((runs + n))
  failed=$((failed + f))
done
echo "swarm: ${round} rounds, ${runs} runs in $((SECONDS - t0)) s, ${failed} failed"
if ((failed > 0)); then
  echo "failures (replay, then shrink):"

  python3 - "${out}" <<'PY'
import glob, json, sys
for path in sorted(glob.glob(sys.argv[1] + "/round-*.json")):
    for c in json.load(open(path))["cases"]:
        if c["status"] == "failed":
            print(f"  {c['suite']}/{c['scenario']} seed={c['seed']}: {c['failures'][0] if c['failures'] else ''}")
            print(f"    replay: {c['replay']}")
            print(f"    shrink: protean-harness shrink {c['file']} --seed {c['seed']}")
PY
  exit 1
fi
