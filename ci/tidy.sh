#!/usr/bin/env bash
# ci/tidy.sh — house rules that keep the tree honest (TigerBeetle's tidy.zig
# in spirit). Exit 1 naming each offence:
#   1. no header under core/ includes toml++, nlohmann or CLI11 (heavy
#      third-party headers stay in .cc files or behind forward declarations);
#   2. nothing in the product (core/, adapters/, app/) includes harness/;
#   3. no function of the product or the harness is longer than 70 lines
#      (measured with universal-ctags: first to last line), but those listed
#      in ci/tidy-long-functions.txt ("path name", the debt to pay down): a
#      new long function fails, a listed one that got short must leave the list;
#   4. clang-format --dry-run --Werror over every C++ file git tracks.
# Rule 3 and 4 are skipped with a note when ctags / clang-format are absent.
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

failed=0
fail() {
  echo "tidy: $*" >&2
  failed=1
}

hits=$(git ls-files 'core/*.h' | xargs grep -nE '#include <(toml\+\+|nlohmann|CLI)/' || true)
[[ -z "${hits}" ]] || fail "heavy third-party headers included by core/ headers:
${hits}"

hits=$(git ls-files 'core/*' 'adapters/*' 'app/*' | grep -E '\.(h|cc)$' |
       xargs grep -nE '#include "harness/' || true)
[[ -z "${hits}" ]] || fail "the product includes the harness:
${hits}"

functions_max=70
if ci_have ctags; then
  long=$(git ls-files 'core/*.cc' 'core/*.h' 'adapters/*.cc' 'adapters/*.h' 'app/*.cc' 'app/*.h' \
                       'harness/*.cc' 'harness/*.h' |
         ctags -L - --languages=C++ --c++-kinds=f --fields=+ne -x \
               --_xformat='%{end} %{line} %{input} %{name}' 2>/dev/null |
         awk -v max="${functions_max}" '$1 ~ /^[0-9]+$/ && $1 - $2 + 1 > max {
                printf "%s:%s %s (%d lines)\n", $3, $2, $4, $1 - $2 + 1 }' | sort)
  # `long` lines are "path:line name (N lines)"; the list holds "path name".
  allowed="ci/tidy-long-functions.txt"
  listed=$(grep -vE '^(#|$)' "${allowed}" | sort -u || true)
  new=$(awk 'NR == FNR { ok[$1 " " $2] = 1; next }
             { key = $1; sub(/:[0-9]+$/, "", key); if (!ok[key " " $2]) print }' \
            <(echo "${listed}") <(echo "${long}") | sed '/^$/d')
  gone=$(comm -13 <(awk '{ sub(/:[0-9]+$/, "", $1); print $1, $2 }' <<<"${long}" | sort -u) \
                  <(echo "${listed}") | sed '/^$/d')
  [[ -z "${new}" ]] || fail "functions longer than ${functions_max} lines (shorten them):
${new}"
  [[ -z "${gone}" ]] || fail "no longer over ${functions_max} lines: remove from ${allowed}:
${gone}"
else
  echo "tidy: ctags not installed: function lengths not checked" >&2
fi

if ci_have clang-format; then
  unformatted=$(git ls-files '*.h' '*.cc' | xargs clang-format --dry-run --Werror 2>&1 |
                grep -E '^[^ :]+\.(h|cc):[0-9]+:[0-9]+: (error|warning):' |
                cut -d: -f1 | sort -u || true)
  [[ -z "${unformatted}" ]] || fail "not clang-format clean (run clang-format -i on them):
${unformatted}"
else
  echo "tidy: clang-format not installed: formatting not checked" >&2
fi

if [[ ${failed} -ne 0 ]]; then exit 1; fi
echo "tidy: core headers light, product independent of the harness, functions <= ${functions_max} lines, clang-format clean"
