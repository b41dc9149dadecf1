#!/usr/bin/env bash
# ci/hostile_inputs.sh — generated hostile configuration and scenario files
# against the built binaries: no input may crash or hang them.
#
# Mutates the repository's own domain.toml and scenarios/**/*.toml files
# (hostile numbers, wrong types, 100,000-level dotted keys and nesting, files
# past the size bound, truncations, byte flips, duplicate and unknown keys,
# invalid UTF-8, empty files, hostile PROTEAN_ENV overlays, faults naming
# instances the scenario never starts, times that overflow int64), runs
# `protean check`, `protean config show` and `protean-harness run --protean-env
# memory` on each under a timeout and prints a table of outcomes per mutation
# kind (ok, rejected, failed, unlocated, crash, hang; accepted and
# check_vs_load flags). Every crash, hang, unlocated, accepted or
# check_vs_load input is kept in reports/hostile/<outcome>/ with its commands
# and output. Needs no services; about 3 minutes for 5000 inputs on 2 cores.
#
# Usage: bash ci/hostile_inputs.sh [BUILD_DIR] [OPTION...]   (default build;
#        options of ci/hostile_inputs.py, see `python3 ci/hostile_inputs.py --help`)
#
# Environment:
#   HOSTILE_COUNT     inputs (default 5000)
#   HOSTILE_SEED      generation seed (default 1; the same seed, the same inputs)
#   HOSTILE_JOBS      inputs run at once (default 2)
#   HOSTILE_TIMEOUT   seconds per command (default 10)
# Exit: 0 no input crashed or hung; 1 some did (kept in reports/hostile/crash,
# reports/hostile/hang); 2 usage or binaries not built.
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

build_dir="build"
if [[ $# -gt 0 && "$1" != -* ]]; then
  build_dir="$1"
  shift
fi
for b in "${build_dir}/app/protean" "${build_dir}/harness/protean-harness"; do
  if [[ ! -x "${b}" ]]; then
    ci_log "hostile_inputs: ${b} not built (ninja -C ${build_dir} protean protean-harness)"
    exit 2
  fi
done
ci_log "hostile_inputs: ${HOSTILE_COUNT:-5000} inputs, seed ${HOSTILE_SEED:-1}, ${build_dir}"
exec python3 ci/hostile_inputs.py --build-dir "${build_dir}" --count "${HOSTILE_COUNT:-5000}" \
  --seed "${HOSTILE_SEED:-1}" --jobs "${HOSTILE_JOBS:-2}" --timeout "${HOSTILE_TIMEOUT:-10}" \
  --out "${CI_ROOT}/reports/hostile" "$@"
