#!/usr/bin/env bash
# ci/bench_ops.sh [PROTEAN_BINARY] — the operating figures of a real server
# (server_idle_rss_mb, shutdown_idle_ms, metrics_scrape_ms with 50
# subscriptions) as JSON lines; see ci/bench_ops.py. Needs REDIS_URL and
# DATABASE_URL (ci/services.sh start; source ci/.work/services.env). Bounded:
# 120 s in all.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${REDIS_URL:-}" || -z "${DATABASE_URL:-}" ]]; then
  echo "bench_ops: REDIS_URL and DATABASE_URL must be set (ci/services.sh start)" >&2
  exit 2
fi
exec timeout 120 /usr/bin/python3 ci/bench_ops.py "${1:-build/app/protean}"
