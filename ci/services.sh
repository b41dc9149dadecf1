#!/usr/bin/env bash
# ci/services.sh — run throw-away Redis and PostgreSQL 15 (+ Message DB) servers on
# loopback for the `real` tests, in folders of their own (no systemd, no system
# clusters touched).
#
# Usage: bash ci/services.sh start|stop [--clean]|status|env
#   start    start Redis and PostgreSQL if not already up, create database
#            protean_test, install Message DB (role + database message_store) if
#            missing, wait until both answer, write ci/.work/services.env.
#            Idempotent: a second start reuses the data and is quick.
#   stop     stop both; never fails when they are already stopped. Keeps the data
#            for a quick restart; with --clean also removes the data, logs and
#            services.env (the downloaded Message DB tarball in ci/.work/cache stays).
#   status   print whether each is up (exit 0 when both are, 1 otherwise)
#   env      print the export lines of services.env (for `eval "$(...)"`)
#
# Layout (all under ci/.work/, gitignored):
#   redis/               Redis dir, redis.pid, redis.log
#   pg/                  PostgreSQL: data/, run/ (unix socket), postgresql.log.
#                        When user postgres cannot reach the repo (e.g. it lives under
#                        /root) or the socket path would be too long, this folder is
#                        /tmp/protean-ci-<uid>/<hash of repo path>/pg instead; the
#                        path used is recorded in ci/.work/pg.location.
#   cache/               Message DB tarball from `npm pack` (kept across --clean)
#   message-db/          the unpacked tarball; message-db-install.log
#   services.env         export lines for the tests
#
# Environment:
#   PROTEAN_REDIS_PORT       Redis port on 127.0.0.1 (default 6390)
#   PROTEAN_PG_PORT          PostgreSQL port on 127.0.0.1 (default 5433)
#   PROTEAN_PG_BIN           PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#   PROTEAN_SERVICE_TIMEOUT  seconds to wait for each service to answer (default 30)
#   MESSAGE_DB_VERSION       npm version of @eventide/message-db (default 1.3.1)
#
# services.env exports: REDIS_URL, DATABASE_URL, MESSAGE_DB_URL, MESSAGE_DB_ADMIN_URL
# (the message store as the superuser: the Message DB benchmark analyzes its table),
# PROTEAN_REDIS_PORT, PROTEAN_PG_PORT, PROTEAN_PG_DATA, PROTEAN_PG_SOCKET_DIR.
#
# As root, every PostgreSQL program runs as user postgres (runuser -u postgres);
# as any other user, they run as that user (the superuser role is still `postgres`).
set -euo pipefail

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REDIS_PORT="${PROTEAN_REDIS_PORT:-6390}"
PG_PORT="${PROTEAN_PG_PORT:-5433}"
PG_BIN="${PROTEAN_PG_BIN:-/usr/lib/postgresql/15/bin}"
TIMEOUT="${PROTEAN_SERVICE_TIMEOUT:-30}"
MDB_VERSION="${MESSAGE_DB_VERSION:-1.3.1}"

REDIS_DIR="${CI_WORK}/redis"
REDIS_PIDFILE="${REDIS_DIR}/redis.pid"
REDIS_LOG="${REDIS_DIR}/redis.log"
CACHE_DIR="${CI_WORK}/cache"
MDB_DIR="${CI_WORK}/message-db"
MDB_LOG="${CI_WORK}/message-db-install.log"
ENV_FILE="${CI_WORK}/services.env"
PG_LOCATION_FILE="${CI_WORK}/pg.location"

# Connection settings from the caller's environment must not leak into ours.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS \
      PGSSLMODE PGPASSFILE PGSERVICEFILE PGTARGETSESSIONATTRS 2>/dev/null || true
export PGCONNECT_TIMEOUT=5

# ---------------------------------------------------------------- helpers

# Run a command as the PostgreSQL server user, from a folder it can read.
as_pg() {
  if [[ ${EUID} -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# psql as superuser postgres over TCP on loopback: pg_psql DB [psql args...]
pg_psql() {
  local db="$1"
  shift
  "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${PG_PORT}" -U postgres -d "${db}" "$@"
}

# proc_alive PID: true when PID exists and is not a zombie (a daemon whose
# parent is PID 1 can stay a zombie for a while where PID 1 reaps slowly).
proc_alive() {
  local state
  state="$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c 1 || true)"
  [[ -n "${state}" && "${state}" != "Z" && "${state}" != "X" ]]
}

# pid_is PIDFILE COMM: true when PIDFILE names a live process called COMM.
pid_is() {
  local pidfile="$1" comm="$2" pid
  [[ -s "${pidfile}" ]] || return 1
  pid="$(head -n 1 "${pidfile}" | tr -dc '0-9')"
  [[ -n "${pid}" ]] || return 1
  [[ "$(cat "/proc/${pid}/comm" 2>/dev/null || true)" == "${comm}"* ]] && proc_alive "${pid}"
}

pid_of() {
  head -n 1 "$1" | tr -dc '0-9'
}

log_tail() {
  local file="$1"
  if [[ -f "${file}" ]]; then
    echo "----- last 40 lines of ${file} -----" >&2
    tail -n 40 "${file}" >&2 || true
    echo "----- end of ${file} -----" >&2
  else
    echo "(no log file at ${file})" >&2
  fi
}

fail_service() {
  local service="$1" log="$2" msg="$3"
  log_tail "${log}"
  ci_die "${service}: ${msg} (log: ${log})"
}

# Can user postgres create and use DIR (all parents traversable), with a unix
# socket path that fits in sun_path (107 bytes)?
pg_dir_usable() {
  local dir="$1"
  local sock="${dir}/run/.s.PGSQL.${PG_PORT}"
  [[ ${#sock} -lt 100 ]] || return 1
  mkdir -p "${dir}" 2>/dev/null || return 1
  if [[ ${EUID} -eq 0 ]]; then
    chown postgres:postgres "${dir}" || return 1
  fi
  chmod 0700 "${dir}" || return 1
  as_pg test -d "${dir}" -a -w "${dir}" -a -x "${dir}" 2>/dev/null
}

# Decide where PostgreSQL's folder lives; sets PG_BASE and records it.
choose_pg_base() {
  if [[ -s "${PG_LOCATION_FILE}" ]]; then
    PG_BASE="$(cat "${PG_LOCATION_FILE}")"
    if pg_dir_usable "${PG_BASE}"; then return 0; fi
  fi
  PG_BASE="${CI_WORK}/pg"
  if ! pg_dir_usable "${PG_BASE}"; then
    rmdir "${PG_BASE}" 2>/dev/null || true
    local top hash
    top="/tmp/protean-ci-$(id -u)"
    hash="$(printf '%s' "${CI_ROOT}" | cksum | cut -d ' ' -f 1)"
    mkdir -p "${top}/${hash}"
    chmod 0755 "${top}" "${top}/${hash}"
    PG_BASE="${top}/${hash}/pg"
    ci_log "postgresql: ${CI_WORK} is not usable by the server user; using ${PG_BASE}"
    pg_dir_usable "${PG_BASE}" ||
      ci_die "postgresql: user postgres cannot use ${PG_BASE} either"
  fi
  printf '%s\n' "${PG_BASE}" >"${PG_LOCATION_FILE}"
}

# Sets PG_BASE from the record (or the default) without creating anything.
recorded_pg_base() {
  if [[ -s "${PG_LOCATION_FILE}" ]]; then
    PG_BASE="$(cat "${PG_LOCATION_FILE}")"
  else
    PG_BASE="${CI_WORK}/pg"
  fi
}

pg_paths() {
  PG_DATA="${PG_BASE}/data"
  PG_SOCK="${PG_BASE}/run"
  PG_LOG="${PG_BASE}/postgresql.log"
}

pg_running() {
  [[ -n "${PG_DATA:-}" ]] && pid_is "${PG_DATA}/postmaster.pid" postgres
}

# Port of the running server (line 4 of postmaster.pid).
pg_running_port() {
  sed -n 4p "${PG_DATA}/postmaster.pid" 2>/dev/null | tr -dc '0-9'
}

redis_running() {
  pid_is "${REDIS_PIDFILE}" redis-server
}

# Ask the Redis on PORT for its pid; true when it is the one in our pidfile.
redis_is_ours() {
  local port="$1" pid
  pid="$(redis-cli -h 127.0.0.1 -p "${port}" info server 2>/dev/null |
         sed -n 's/^process_id:\([0-9]*\).*/\1/p')"
  [[ -n "${pid}" && "${pid}" == "$(pid_of "${REDIS_PIDFILE}" 2>/dev/null)" ]]
}

# True when the Redis on PORT takes DEBUG from loopback (started by an older
# version of this script, it does not).
redis_debug_enabled() {
  local port="$1"
  [[ "$(redis-cli -h 127.0.0.1 -p "${port}" config get enable-debug-command 2>/dev/null |
        sed -n 2p)" =~ ^(local|yes)$ ]]
}

# ---------------------------------------------------------------- Redis

start_redis() {
  mkdir -p "${REDIS_DIR}"
  if redis_running; then
    if redis_is_ours "${REDIS_PORT}" && redis_debug_enabled "${REDIS_PORT}"; then
      ci_log "redis: already running (pid $(pid_of "${REDIS_PIDFILE}"), port ${REDIS_PORT})"
      return 0
    fi
    ci_log "redis: running on another port or without DEBUG; restarting on ${REDIS_PORT}"
    stop_redis
  fi
  rm -f "${REDIS_PIDFILE}"
  if redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" ping >/dev/null 2>&1; then
    ci_die "redis: port ${REDIS_PORT} is taken by another server (set PROTEAN_REDIS_PORT)"
  fi
  ci_log "redis: starting on 127.0.0.1:${REDIS_PORT}"
  : >"${REDIS_LOG}"
  # --enable-debug-command local: the harness's redis_debug_sleep fault sends
  # DEBUG SLEEP, which Debian's Redis 7.0 refuses otherwise.
  redis-server --bind 127.0.0.1 --port "${REDIS_PORT}" --protected-mode yes \
    --enable-debug-command local --save '' --appendonly no \
    --daemonize yes --pidfile "${REDIS_PIDFILE}" --logfile "${REDIS_LOG}" \
    --dir "${REDIS_DIR}" ||
    fail_service redis "${REDIS_LOG}" "redis-server failed to start"

  local deadline=$((SECONDS + TIMEOUT))
  until [[ "$(redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" ping 2>/dev/null || true)" == "PONG" ]] &&
        redis_is_ours "${REDIS_PORT}"; do
    if ((SECONDS >= deadline)); then
      fail_service redis "${REDIS_LOG}" "no answer on 127.0.0.1:${REDIS_PORT} after ${TIMEOUT}s"
    fi
    sleep 0.1
  done
  ci_log "redis: up (pid $(pid_of "${REDIS_PIDFILE}"))"
}

stop_redis() {
  if ! redis_running; then
    rm -f "${REDIS_PIDFILE}"
    ci_log "redis: not running"
    return 0
  fi
  local pid
  pid="$(pid_of "${REDIS_PIDFILE}")"
  ci_log "redis: stopping (pid ${pid})"
  kill -TERM "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while proc_alive "${pid}"; do
    if ((SECONDS >= deadline)); then
      ci_log "redis: still alive after 10s; sending SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  rm -f "${REDIS_PIDFILE}"
}

# ---------------------------------------------------------------- PostgreSQL

start_pg() {
  [[ -x "${PG_BIN}/postgres" ]] ||
    ci_die "postgresql: no server binaries in ${PG_BIN} (run ci/install_deps.sh)"
  choose_pg_base
  pg_paths

  if pg_running; then
    if [[ "$(pg_running_port)" == "${PG_PORT}" ]]; then
      ci_log "postgresql: already running (port ${PG_PORT}, data ${PG_DATA})"
    else
      ci_log "postgresql: running on port $(pg_running_port); restarting on ${PG_PORT}"
      stop_pg
    fi
  fi

  if ! pg_running; then
    if [[ ! -s "${PG_DATA}/PG_VERSION" ]]; then
      ci_log "postgresql: initdb ${PG_DATA}"
      as_pg rm -rf "${PG_DATA}"
      as_pg "${PG_BIN}/initdb" -D "${PG_DATA}" -A trust -U postgres -E UTF8 \
        --locale=C.UTF-8 --no-sync >"${CI_WORK}/initdb.log" 2>&1 ||
        fail_service postgresql "${CI_WORK}/initdb.log" "initdb failed"
    fi
    as_pg mkdir -p "${PG_SOCK}"
    # A postmaster.pid whose process is gone (or is not postgres) is stale.
    as_pg rm -f "${PG_DATA}/postmaster.pid"
    ci_log "postgresql: starting on 127.0.0.1:${PG_PORT}"
    as_pg "${PG_BIN}/pg_ctl" -D "${PG_DATA}" -l "${PG_LOG}" -w -t "${TIMEOUT}" \
      -o "-p ${PG_PORT} -k '${PG_SOCK}' -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
      start >/dev/null ||
      fail_service postgresql "${PG_LOG}" "pg_ctl start failed"
  fi

  local deadline=$((SECONDS + TIMEOUT))
  until "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "${PG_PORT}" -U postgres -d postgres; do
    if ((SECONDS >= deadline)); then
      fail_service postgresql "${PG_LOG}" "no answer on 127.0.0.1:${PG_PORT} after ${TIMEOUT}s"
    fi
    sleep 0.2
  done
  ci_log "postgresql: up (pid $(pid_of "${PG_DATA}/postmaster.pid"))"

  if [[ "$(pg_psql postgres -tAc "select 1 from pg_database where datname = 'protean_test'")" != "1" ]]; then
    ci_log "postgresql: creating database protean_test"
    pg_psql postgres -c "create database protean_test"
  fi
}

stop_pg() {
  recorded_pg_base
  pg_paths
  if ! pg_running; then
    ci_log "postgresql: not running"
    return 0
  fi
  ci_log "postgresql: stopping (data ${PG_DATA})"
  if ! as_pg "${PG_BIN}/pg_ctl" -D "${PG_DATA}" stop -m fast -w -t 30 >/dev/null; then
    ci_log "postgresql: fast stop failed; trying immediate"
    as_pg "${PG_BIN}/pg_ctl" -D "${PG_DATA}" stop -m immediate -w -t 30 >/dev/null || true
  fi
}

# ---------------------------------------------------------------- Message DB

mdb_installed() {
  # The role and the database first (keeps "role does not exist" out of the log) ...
  [[ "$(pg_psql postgres -tAc "select count(*) from pg_roles where rolname = 'message_store'
        union all select count(*) from pg_database where datname = 'message_store'" |
        tr -d '[:space:]')" == "11" ]] || return 1
  # ... the version as role message_store (needs the grants, the last install step) ...
  "${PG_BIN}/psql" -X -q -h 127.0.0.1 -p "${PG_PORT}" -U message_store -d message_store \
    -tAc "select message_store.message_store_version()" >/dev/null 2>&1 || return 1
  # ... and the last grant of privileges/ in place.
  [[ "$(pg_psql message_store -tAc \
        "select has_table_privilege('message_store', 'message_store.type_summary', 'SELECT')" \
        2>/dev/null)" == "t" ]]
}

fetch_mdb() {
  local tarball="${CACHE_DIR}/eventide-message-db-${MDB_VERSION}.tgz"
  mkdir -p "${CACHE_DIR}"
  if [[ ! -s "${tarball}" ]]; then
    ci_have npm || ci_die "message-db: npm not found (run ci/install_deps.sh)"
    ci_log "message-db: npm pack @eventide/message-db@${MDB_VERSION}"
    rm -f "${CACHE_DIR}"/eventide-message-db-*.tgz.partial
    (
      cd "${CACHE_DIR}"
      export HOME="${HOME:-${CI_WORK}/home}"
      # Node ships its own CA list; also trust the system's (a proxy's CA may live there).
      if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -s /etc/ssl/certs/ca-certificates.crt ]]; then
        export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
      fi
      export npm_config_cache="${CACHE_DIR}/npm" npm_config_update_notifier=false \
             npm_config_fund=false npm_config_audit=false npm_config_loglevel=error
      timeout 180 npm pack "@eventide/message-db@${MDB_VERSION}" >/dev/null
    ) || ci_die "message-db: npm pack @eventide/message-db@${MDB_VERSION} failed"
    [[ -s "${tarball}" ]] || ci_die "message-db: npm pack did not produce ${tarball}"
  fi
  rm -rf "${MDB_DIR}"
  mkdir -p "${MDB_DIR}"
  tar -xzf "${tarball}" -C "${MDB_DIR}"
  [[ -f "${MDB_DIR}/package/database/install.sh" ]] ||
    ci_die "message-db: ${tarball} has no package/database/install.sh"
}

install_mdb() {
  if mdb_installed; then
    ci_log "message-db: already installed"
    return 0
  fi
  fetch_mdb
  ci_log "message-db: installing into database message_store"
  # A half-finished earlier install would make install.sh fail at createdb.
  pg_psql postgres -c "set client_min_messages = warning" \
    -c "drop database if exists message_store" >/dev/null
  if ! (
      export PATH="${PG_BIN}:${PATH}" PGHOST=127.0.0.1 PGPORT="${PG_PORT}" PGUSER=postgres
      cd "${MDB_DIR}/package/database"
      bash ./install.sh
    ) >"${MDB_LOG}" 2>&1; then
    fail_service message-db "${MDB_LOG}" "install.sh failed"
  fi
  mdb_installed || fail_service message-db "${MDB_LOG}" "installed, but role message_store cannot use it"
  ci_log "message-db: installed ($("${PG_BIN}/psql" -X -h 127.0.0.1 -p "${PG_PORT}" -U message_store \
    -d message_store -tAc "select message_store.message_store_version()"))"
}

# ---------------------------------------------------------------- env file

env_lines() {
  local q_data q_sock
  printf -v q_data '%q' "${PG_DATA:-}"
  printf -v q_sock '%q' "${PG_SOCK:-}"
  cat <<EOF
export REDIS_URL=redis://127.0.0.1:${REDIS_PORT}/0
export DATABASE_URL=postgresql://postgres@127.0.0.1:${PG_PORT}/protean_test
export MESSAGE_DB_URL=postgresql://message_store@127.0.0.1:${PG_PORT}/message_store
export MESSAGE_DB_ADMIN_URL=postgresql://postgres@127.0.0.1:${PG_PORT}/message_store
export PROTEAN_REDIS_PORT=${REDIS_PORT}
export PROTEAN_PG_PORT=${PG_PORT}
export PROTEAN_PG_DATA=${q_data}
export PROTEAN_PG_SOCKET_DIR=${q_sock}
EOF
}

# ---------------------------------------------------------------- commands

cmd_start() {
  local t0=${SECONDS}
  mkdir -p "${CI_WORK}"
  chmod 0755 "${CI_WORK}"
  rm -f "${ENV_FILE}"
  start_redis
  start_pg
  install_mdb
  env_lines >"${ENV_FILE}.tmp"
  mv "${ENV_FILE}.tmp" "${ENV_FILE}"
  ci_log "services: up in $((SECONDS - t0))s; environment in ${ENV_FILE}"
}

cmd_stop() {
  local clean=0
  if [[ "${1:-}" == "--clean" ]]; then clean=1; fi
  # Each stop is attempted even when the other one has trouble.
  stop_redis || ci_log "redis: stop reported an error"
  stop_pg || ci_log "postgresql: stop reported an error"
  if [[ ${clean} -eq 1 ]]; then
    recorded_pg_base
    ci_log "services: removing data, logs and env file (keeping ${CACHE_DIR})"
    rm -rf "${REDIS_DIR}" "${MDB_DIR}" "${MDB_LOG}" "${CI_WORK}/initdb.log" "${ENV_FILE}"
    rm -rf "${PG_BASE}"
    case "${PG_BASE}" in
      /tmp/protean-ci-*)
        rmdir "$(dirname "${PG_BASE}")" 2>/dev/null || true
        rmdir "$(dirname "$(dirname "${PG_BASE}")")" 2>/dev/null || true
        ;;
    esac
    rm -f "${PG_LOCATION_FILE}"
  else
    rm -f "${ENV_FILE}"
  fi
  return 0
}

cmd_status() {
  local ok=0 redis_port="${REDIS_PORT}"
  if [[ -s "${ENV_FILE}" ]]; then
    redis_port="$(sed -n 's/^export PROTEAN_REDIS_PORT=//p' "${ENV_FILE}")"
  fi
  if redis_running && redis_is_ours "${redis_port}"; then
    echo "redis: up (pid $(pid_of "${REDIS_PIDFILE}"), 127.0.0.1:${redis_port}, log ${REDIS_LOG})"
  else
    echo "redis: down"
    ok=1
  fi
  recorded_pg_base
  pg_paths
  if pg_running && "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "$(pg_running_port)"; then
    echo "postgresql: up (pid $(pid_of "${PG_DATA}/postmaster.pid"), 127.0.0.1:$(pg_running_port), data ${PG_DATA}, log ${PG_LOG})"
  else
    echo "postgresql: down"
    ok=1
  fi
  return "${ok}"
}

cmd_env() {
  if [[ -s "${ENV_FILE}" ]]; then
    cat "${ENV_FILE}"
  else
    recorded_pg_base
    pg_paths
    env_lines
  fi
}

usage() {
  echo "usage: bash ci/services.sh start|stop [--clean]|status|env" >&2
  exit 2
}

case "${1:-}" in
  start) cmd_start ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) usage ;;
esac
