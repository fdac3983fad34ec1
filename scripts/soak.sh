#!/usr/bin/env bash
# Mixed-load soak of the real server (not part of CI; docs/RELIABILITY.md
# records results): writes, metadata updates, deletes, plain and filtered
# searches, counts and scrolls for MINUTES, with one row a minute of
# resident memory (anonymous and file-backed), requests, errors and p50/p99
# latency per operation. Expected: zero errors and flat anonymous RSS once
# the live set has reached its size.
#
#   ./scripts/soak.sh [MINUTES] [OUT.md]      # default 60, soak-<date>.md
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-60}
OUT=${2:-soak-$(date -u +%Y%m%d-%H%M).md}
./scripts/install-deps.sh
cmake -S . -B build-soak -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-soak -j "$(nproc)" --target proximadb-server
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 scripts/soak/mixed_load_soak.py \
  --binary build-soak/src/server/proximadb-server \
  --minutes "$MINUTES" --out "$OUT"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); table in $OUT"
