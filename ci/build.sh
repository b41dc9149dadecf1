#!/usr/bin/env bash
# ci/build.sh — configure (CMake + Ninja) and build the C++ tree.
#
# Usage: bash ci/build.sh [BUILD_DIR] [extra cmake configure args...]
#   BUILD_DIR   build folder, relative to the repo root or absolute (default: build,
#               or $BUILD_DIR from the environment)
#
# Environment:
#   BUILD_DIR    default build folder when none is given on the command line (build)
#   BUILD_TYPE   CMAKE_BUILD_TYPE (default RelWithDebInfo)
#   SANITIZE     1 → -DPROTEAN_SANITIZE=ON (ASan + UBSan)
#   WERROR       0 → warnings are not errors (default 1: -DPROTEAN_WERROR=ON)
#   UNITY        0 → one translation unit per file (default 1: -DPROTEAN_UNITY_BUILD=ON,
#                8 files per unit: a clean build about twice as fast; 0 suits a
#                folder rebuilt after every small edit)
#   JOBS         parallel build jobs (default: nproc)
#   CCACHE       0 → no compiler launcher (unless one is given as an argument).
#                Otherwise, when ccache is on PATH, it is the launcher, unless
#                one is already chosen: CMAKE_CXX_COMPILER_LAUNCHER in the
#                environment (CMake reads it itself) or
#                -DCMAKE_CXX_COMPILER_LAUNCHER=… among the arguments.
#   CCACHE_BASEDIR, CCACHE_NOHASHDIR  exported for ccache with defaults (the repo
#                root, 1) that let worktrees share cache entries: paths under the
#                base become relative, and -g builds stop hashing the build folder
#                (so an object taken from another worktree's build names that
#                folder as its debug-info compile directory).
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${CI_ROOT}"

build_dir="${1:-${BUILD_DIR:-build}}"
if [[ $# -gt 0 ]]; then shift; fi
build_type="${BUILD_TYPE:-RelWithDebInfo}"
jobs="${JOBS:-$(nproc)}"

cmake_args=(-S . -B "${build_dir}" -G Ninja "-DCMAKE_BUILD_TYPE=${build_type}")
if [[ "${SANITIZE:-0}" == "1" ]]; then
  cmake_args+=(-DPROTEAN_SANITIZE=ON)
else
  cmake_args+=(-DPROTEAN_SANITIZE=OFF)
fi
# Warnings are errors in our own code (WERROR=0 to build anyway).
cmake_args+=("-DPROTEAN_WERROR=$([[ "${WERROR:-1}" == "1" ]] && echo ON || echo OFF)")
cmake_args+=("-DPROTEAN_UNITY_BUILD=$([[ "${UNITY:-1}" == "1" ]] && echo ON || echo OFF)")
launcher_given=0
for arg in "$@"; do
  [[ "${arg}" == -DCMAKE_CXX_COMPILER_LAUNCHER[=:]* ]] && launcher_given=1
done
if [[ "${CCACHE:-1}" == "0" ]]; then
  # Also forget a launcher an earlier configure of this folder chose.
  [[ ${launcher_given} -eq 1 ]] || cmake_args+=(-UCMAKE_CXX_COMPILER_LAUNCHER)
elif ci_have ccache; then
  # Exported for the build below, whichever launcher runs ccache.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-${CI_ROOT}}"
  export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
  if [[ ${launcher_given} -eq 0 && -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]]; then
    cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  ci_log "ccache: on PATH, CCACHE_BASEDIR=${CCACHE_BASEDIR} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR}"
fi
cmake_args+=("$@")

ci_log "configure: cmake ${cmake_args[*]}"
cmake "${cmake_args[@]}"
ci_log "build: cmake --build ${build_dir} -j ${jobs}"
cmake --build "${build_dir}" -j "${jobs}"
ci_log "build done (${build_dir}, ${build_type}, sanitize=${SANITIZE:-0})"
