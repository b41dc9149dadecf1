#!/usr/bin/env bash
# ci/check_determinism.sh — memory mode must be deterministic: nothing in
# core/ or adapters/memory/ may read the wall clock, sleep, or draw an
# unseeded random number. The real runtime (core/runtime/real_executor.cc) is
# the one place allowed to, and is listed below. Exit 1 naming each offending
# line.
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

allowed='^core/runtime/real_executor\.cc:'
pattern='(system_clock|steady_clock|high_resolution_clock)::now|sleep_for|sleep_until|[^_[:alnum:]]s?rand\(|random_device|std::[a-z_]+_distribution|[^_[:alnum:]]time\((NULL|nullptr|0)\)|gettimeofday|clock_gettime|usleep|nanosleep'

hits=$(grep -rnE "${pattern}" core adapters/memory --include='*.h' --include='*.cc' | grep -vE "${allowed}" || true)
if [[ -n "${hits}" ]]; then
  echo "determinism check FAILED: wall-clock, sleep or unseeded random calls in memory-mode code:" >&2
  echo "${hits}" >&2
  exit 1
fi
echo "determinism check: core/ and adapters/memory/ read no wall clock, never sleep, use only the seeded PRNG"
