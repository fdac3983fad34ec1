#!/usr/bin/env bash
# The ctest form of a fuzz target (tests/fuzz/CMakeLists.txt): a short,
# deterministic run over the committed corpus.
#   run_short.sh <target binary> <committed corpus dir> <work dir> <libFuzzer flags...>
# New inputs go to <work dir>/corpus (emptied first), crash inputs to
# <work dir>/; the committed corpus is only read.
set -euo pipefail
bin=$1 corpus=$2 work=$3
shift 3
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$("$(dirname "$0")/../../scripts/fuzz.sh" --symbolizer)}
rm -rf "$work"
mkdir -p "$work/corpus"
# -entropic=0: libFuzzer 16's entropic schedule spends most of the time in
# UpdateFeatureFrequency on targets this large (6-8x fewer executions).
exec "$bin" -seed=1 -timeout=60 -rss_limit_mb=2560 -entropic=0 -print_final_stats=1 \
  -artifact_prefix="$work/" "$@" "$work/corpus" "$corpus"
