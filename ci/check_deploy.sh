#!/usr/bin/env bash
# ci/check_deploy.sh [PROTEAN_BINARY] — checks examples/deploy/ (systemd
# unit, Dockerfile, Kubernetes manifests) against the server's configuration
# and routes; see ci/check_deploy.py. Uses Debian's python3-yaml through
# /usr/bin/python3. Exit 1 when it finds anything.
set -euo pipefail
cd "$(dirname "$0")/.."
exec timeout 120 /usr/bin/python3 ci/check_deploy.py "${1:-build/app/protean}"
