#!/usr/bin/env bash
# ci/mutate.sh — mutation testing of the engine: are the scenario suites the net?
#
# Applies each mutant of ci/mutants/catalogue.txt (a realistic bug: a small
# patch against core/ with a name and what it breaks), rebuilds incrementally
# in one build folder, runs the memory-mode scenario suites (and the engine's
# unit tests with --unit), restores the file, and prints the kill matrix
# (mutant x killed-by). The goal: the scenario suites alone kill every mutant.
# Its last result is kept in docs/mutation.md. Too slow for every CI run
# (about a minute per mutant on 2 cores): ci/nightly.sh runs it.
#
# Usage: bash ci/mutate.sh [--unit] [--only a,b] [--seeds N] [--out FILE] [--list] [SCENARIO PATH...]
#   (every option of ci/mutate.py; see `python3 ci/mutate.py --help`)
#
# Environment:
#   BUILD_DIR   the build folder to mutate in (default build-mutate: configured
#               here when missing, RelWithDebInfo, ccache when installed)
# Exit: 0 every mutant killed by the scenario suites; 1 some survived, are
# stale or did not build; 2 usage.
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

BUILD_DIR="${BUILD_DIR:-build-mutate}"
export BUILD_DIR
if ci_have ccache; then
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-${CI_ROOT}}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
fi
if [[ ! -f "${BUILD_DIR}/build.ninja" ]]; then
  launcher=()
  if ci_have ccache; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  ci_log "mutate: configuring ${BUILD_DIR}"
  cmake -S . -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPROTEAN_BUILD_BENCHMARKS=OFF "${launcher[@]}" >/dev/null
fi
if [[ -n "$(git status --porcelain -- core 2>/dev/null)" ]]; then
  ci_log "mutate: note: core/ has uncommitted changes; each file is restored to its current text"
fi
exec python3 ci/mutate.py --build-dir "${BUILD_DIR}" "$@"
