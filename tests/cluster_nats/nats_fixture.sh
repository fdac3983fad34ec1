#!/usr/bin/env bash
# The ctest fixture of the `nats` tests (tests/CMakeLists.txt):
#   nats_fixture.sh up DIR ENV_FILE    starts a 3-server NATS JetStream cluster
#                                      in DIR (scripts/nats-cluster.sh) and
#                                      writes its NATS_URLS line to ENV_FILE
#   nats_fixture.sh down DIR ENV_FILE  stops it, removes DIR and ENV_FILE
# Without nats-server, `up` writes NATS_SKIP=<why> instead (the tests then
# skip) unless PDB_REQUIRE_NATS is set, when it fails: scripts/test.sh sets
# it, so the suite always runs them.
set -euo pipefail
script=$(cd "$(dirname "$0")/../../scripts" && pwd)/nats-cluster.sh
cmd=${1:-} dir=${2:-} env_file=${3:-}
[ -n "$dir" ] && [ -n "$env_file" ] || { echo "usage: $0 up|down DIR ENV_FILE" >&2; exit 2; }
case "$cmd" in
  up)
    "$script" down "$dir"  # a fixture left running by an interrupted run
    rm -f "$env_file"
    if ! command -v nats-server >/dev/null; then
      if [ -n "${PDB_REQUIRE_NATS:-}" ]; then
        echo "nats_fixture: PDB_REQUIRE_NATS is set but nats-server is not installed (scripts/install-deps.sh)" >&2
        exit 1
      fi
      echo "NATS_SKIP=nats-server is not installed (scripts/install-deps.sh installs it)" > "$env_file"
      exit 0
    fi
    "$script" up "$dir" 3 > "$env_file.tmp"
    echo "NATS_DIR=$dir" >> "$env_file.tmp"
    mv "$env_file.tmp" "$env_file"
    ;;
  down)
    "$script" down "$dir"
    rm -f "$env_file" "$env_file.tmp"
    ;;
  *) echo "usage: $0 up|down DIR ENV_FILE" >&2; exit 2 ;;
esac
