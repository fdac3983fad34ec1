#!/usr/bin/env bash
# Builds ProximaDB (installing the Debian packages it needs) and starts
# proximadb-server on embedded defaults: REST on 8080, gRPC port 5678
# reserved, data in ./data. Extra arguments go to the server, e.g.
#   ./scripts/run-server.sh --rest-port 9000 --data-dir /var/lib/proximadb
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --no-test-services  # the server needs no radosgw
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPDB_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" --target proximadb-server
exec "$BUILD_DIR/src/server/proximadb-server" "$@"
