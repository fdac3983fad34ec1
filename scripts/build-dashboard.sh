#!/usr/bin/env bash
# Builds the web dashboard (dashboard/: Vite + React + TypeScript) into
# dashboard/dist, which proximadb-server serves at /dashboard/ (README,
# "Dashboard"). Installs node and npm when missing (scripts/install-node.sh)
# and the dashboard's npm dependencies from its package-lock.json. A running
# server picks up a rebuilt dashboard at its next start.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-node.sh
./scripts/npm-ci.sh dashboard
(cd dashboard && npm run --silent build)
echo "build-dashboard: dashboard/dist is ready"
