#!/usr/bin/env bash
# Long kill -9 runs (not part of CI; docs/RELIABILITY.md records results).
#
#   ./scripts/crash-soak.sh [ITERATIONS]          # default 1000 each
#   SERVER_ITERATIONS=300 ./scripts/crash-soak.sh 2000
#   SEED=7 ./scripts/crash-soak.sh
#
# 1. The engine crash test (tests/collection/crash_test.cc) for ITERATIONS
#    kills: a child process runs upserts, deletes, metadata updates,
#    deletes by filter, flushes and compactions (background ones too) and is
#    killed at a random moment, every fifth time while still recovering;
#    each time the parent reopens and checks every acknowledged operation.
# 2. The server crash soak (scripts/soak/server_crash_soak.py) for
#    SERVER_ITERATIONS kills (default ITERATIONS): the real server under
#    mixed REST load from several threads, killed at random moments (every
#    tenth time during recovery), restarted and checked the same way.
#
# Builds build-soak/ (RelWithDebInfo) first. Prints one summary line per
# part; exits non-zero at the first lost or resurrected write.
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS=${1:-1000}
SERVER_ITERATIONS=${SERVER_ITERATIONS:-$ITERATIONS}
SEED=${SEED:-$RANDOM}
./scripts/install-deps.sh
cmake -S . -B build-soak -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-soak -j "$(nproc)" --target collection_tests proximadb-server

echo "== engine crash test: $ITERATIONS kills (seed $SEED) =="
start=$(date +%s)
log=$(mktemp)
status=0
PDB_CRASH_ITERATIONS=$ITERATIONS PDB_CRASH_SEED=$SEED \
  ./build-soak/tests/collection_tests --gtest_filter='CrashTest.*' \
  >"$log" 2>&1 || status=$?
grep -E '^crash test:|Failure|is absent|expected|partly applied' "$log" || true
echo "engine crash test: exit $status after $(( $(date +%s) - start )) s"
if [ "$status" -ne 0 ]; then
  echo "full log: $log"
  exit "$status"
fi
rm -f "$log"

echo "== server crash soak: $SERVER_ITERATIONS kills (seed $SEED) =="
/usr/bin/python3 scripts/soak/server_crash_soak.py \
  --binary build-soak/src/server/proximadb-server \
  --iterations "$SERVER_ITERATIONS" --seed "$SEED"
