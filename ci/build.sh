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
#   JOBS         parallel build jobs (default: nproc)
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
cmake_args+=("$@")

ci_log "configure: cmake ${cmake_args[*]}"
cmake "${cmake_args[@]}"
ci_log "build: cmake --build ${build_dir} -j ${jobs}"
cmake --build "${build_dir}" -j "${jobs}"
ci_log "build done (${build_dir}, ${build_type}, sanitize=${SANITIZE:-0})"
