#!/usr/bin/env bash
# ci/install_deps.sh — install the Debian 12 packages the build, the tests and
# ci/services.sh need. Only what is missing is installed (checked with dpkg-query);
# when nothing is missing it neither runs apt-get update nor touches apt at all.
# Non-interactive; never starts system services (a temporary policy-rc.d that
# denies service starts is put in place while apt runs, unless one exists).
#
# Must run as root (or as a user for whom everything is already installed).
#
# Environment:
#   CI_EXTRA_PACKAGES   space-separated extra Debian packages to install as well
#   CI_BROWSER          1 → also the headless browser of ci/report_browser_check.sh
#                       (chromium, fonts-dejavu-core; node comes with npm below)
#   CI_SANITIZERS       1 → also clang with its sanitizer and libFuzzer runtimes and the
#                       symbolizer, for ci/sanitizers.sh and ci/fuzz.sh (clang,
#                       libclang-rt-14-dev, llvm-14)
#   CI_SKIP_INSTALL     1 → do nothing (for machines managed some other way)
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ "${CI_SKIP_INSTALL:-0}" == "1" ]]; then
  ci_log "install_deps: CI_SKIP_INSTALL=1, skipping"
  exit 0
fi

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config g++ ccache
  # ci/tidy.sh: formatting and function lengths; ci/thread_safety.py: clang's analysis
  clang-format universal-ctags clang
  # libraries (see CMakeLists.txt)
  libgtest-dev libgmock-dev libbenchmark-dev libtomlplusplus-dev libcli11-dev
  nlohmann-json3-dev libhiredis-dev libpqxx-dev libsqlite3-dev
  # the allocator of the protean binary, the harness and the benchmarks (PROTEAN_JEMALLOC)
  libjemalloc-dev
  # cpp-httplib's pkg-config file has Requires.private: openssl, zlib, brotli
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  # services for the `real` tests (ci/services.sh)
  redis-server redis-tools postgresql-15 postgresql-client-15
  # fetching Message DB with npm
  curl ca-certificates
  # the Python stand-in for Protean in tests/interop (run with /usr/bin/python3)
  python3 python3-redis
  # promtool checks /metrics in tests/e2e; python3-yaml parses examples/deploy (ci/check_deploy.sh)
  prometheus python3-yaml
)
if ! ci_have npm; then
  # Debian's npm depends on Debian's nodejs; only used when no npm is present at all.
  packages+=(nodejs npm)
fi
if [[ "${CI_BROWSER:-0}" == "1" ]]; then
  packages+=(chromium fonts-dejavu-core)
fi
if [[ "${CI_SANITIZERS:-0}" == "1" ]]; then
  packages+=(clang libclang-rt-14-dev llvm-14)
fi
if [[ -n "${CI_EXTRA_PACKAGES:-}" ]]; then
  read -r -a extra <<<"${CI_EXTRA_PACKAGES}"
  packages+=("${extra[@]}")
fi

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

missing=()
for pkg in "${packages[@]}"; do
  is_installed "${pkg}" || missing+=("${pkg}")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  ci_log "install_deps: all ${#packages[@]} packages already installed"
else
  ci_log "install_deps: missing: ${missing[*]}"
  if [[ ${EUID} -ne 0 ]]; then
    ci_die "install_deps: need root to install: ${missing[*]}"
  fi

  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
            -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)

  # Keep packages' maintainer scripts from starting services (redis-server,
  # postgresql) while we install; our own scripts start their own instances.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e "${policy}" ]]; then
    printf '#!/bin/sh\n# temporary, from ci/install_deps.sh\nexit 101\n' >"${policy}"
    chmod 0755 "${policy}"
    created_policy=1
  fi
  remove_policy() {
    if [[ ${created_policy} -eq 1 ]]; then rm -f "${policy}"; fi
  }
  trap remove_policy EXIT

  ci_log "install_deps: apt-get update"
  apt-get update -q -o Acquire::Retries=3 -o DPkg::Lock::Timeout=300
  ci_log "install_deps: apt-get install ${missing[*]}"
  apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}"

  remove_policy
  trap - EXIT
fi

# Sanity checks: the things the build and the services really use.
for cmd in cmake ninja g++ pkg-config redis-server redis-cli npm runuser; do
  ci_have "${cmd}" || ci_die "install_deps: '${cmd}' not found after install"
done
for bin in initdb pg_ctl pg_isready psql createdb; do
  [[ -x "/usr/lib/postgresql/15/bin/${bin}" ]] ||
    ci_die "install_deps: /usr/lib/postgresql/15/bin/${bin} not found after install"
done
for mod in cpp-httplib hiredis libpqxx sqlite3 tomlplusplus; do
  pkg-config --cflags "${mod}" >/dev/null ||
    ci_die "install_deps: 'pkg-config --cflags ${mod}' fails"
done
ci_log "install_deps: ok"
