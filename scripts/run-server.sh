#!/usr/bin/env bash
# Builds ProximaDB (installing the Debian packages it needs) and its web
# dashboard (scripts/build-dashboard.sh: node and npm from apt when missing,
# the dashboard's npm packages from its lock file), and starts
# proximadb-server on embedded defaults: REST on 8080 (the dashboard at
# http://localhost:8080/dashboard/), gRPC on 5678, data in ./data. A
# dashboard that cannot be built (no npm registry) is a warning: the server
# starts without it. Extra arguments go to the server, e.g.
#   ./scripts/run-server.sh --rest-port 9000 --data-dir /var/lib/proximadb
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --no-test-services  # the server needs no radosgw
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPDB_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" --target proximadb-server
./scripts/build-dashboard.sh ||
  echo "run-server: the dashboard was not built (see above); starting without it" >&2
exec "$BUILD_DIR/src/server/proximadb-server" "$@"
