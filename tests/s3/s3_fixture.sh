#!/usr/bin/env bash
# The ctest fixture of the `s3` tests (tests/CMakeLists.txt):
#   s3_fixture.sh up DIR ENV_FILE    starts radosgw in DIR (scripts/s3-radosgw.sh)
#                                    and writes its S3_* lines to ENV_FILE
#   s3_fixture.sh down DIR ENV_FILE  stops it, removes DIR and ENV_FILE
# Without the radosgw packages, `up` writes S3_SKIP=<why> instead (the tests
# then skip) unless PDB_REQUIRE_S3 is set, when it fails: scripts/test.sh sets
# it, so the suite always runs them.
set -euo pipefail
script=$(cd "$(dirname "$0")/../../scripts" && pwd)/s3-radosgw.sh
cmd=${1:-} dir=${2:-} env_file=${3:-}
[ -n "$dir" ] && [ -n "$env_file" ] || { echo "usage: $0 up|down DIR ENV_FILE" >&2; exit 2; }
case "$cmd" in
  up)
    "$script" down "$dir"  # a fixture left running by an interrupted run
    rm -f "$env_file"
    if ! command -v radosgw >/dev/null || ! command -v ceph-mon >/dev/null; then
      if [ -n "${PDB_REQUIRE_S3:-}" ]; then
        echo "s3_fixture: PDB_REQUIRE_S3 is set but radosgw is not installed (scripts/install-deps.sh)" >&2
        exit 1
      fi
      echo "S3_SKIP=radosgw is not installed (scripts/install-deps.sh installs it)" > "$env_file"
      exit 0
    fi
    "$script" up "$dir" > "$env_file.tmp"
    mv "$env_file.tmp" "$env_file"
    ;;
  down)
    "$script" down "$dir"
    rm -f "$env_file" "$env_file.tmp"
    ;;
  *) echo "usage: $0 up|down DIR ENV_FILE" >&2; exit 2 ;;
esac
