#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz for longer than the short runs in
# ./scripts/test.sh (docs/RELIABILITY.md, "Fuzzing").
#
#   scripts/fuzz.sh                   # every target, 600 s each, one after another
#   scripts/fuzz.sh segment 3600      # one target for an hour
#   scripts/fuzz.sh all 1800          # every target, 30 minutes each
#   scripts/fuzz.sh --list            # the target names
#   scripts/fuzz.sh --seeds           # rewrite the binary seeds (fuzz_make_seeds)
#
# It builds the targets first in the sanitizer build directory of
# scripts/test.sh (build-asan: clang-16, -DPDB_FUZZ=ON, ASan + UBSan;
# PDB_FUZZ_BUILD=<dir> picks another), so a machine that ran the tests has
# nothing more to compile. Inputs that add coverage accumulate in
# <build>/fuzz-corpus/<target> and are reused by the next run; the committed
# seeds in tests/fuzz/corpus/<target> are only read. A crash stops that
# target, leaves the input in <build>/fuzz-crashes/<target>/ and makes the
# script exit 1 at the end. To keep a crash as a regression: fix it, add a
# test to the module's gtest suite, and copy the input to
# tests/fuzz/corpus/<target>/crash-<what it was>.
#
# Environment: JOBS=<n> fuzzes with n processes per target (libFuzzer
# -fork; default 1); FUZZ_ARGS="..." adds libFuzzer flags.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${PDB_FUZZ_BUILD:-build-asan}
SRC=tests/fuzz

# -max_len and the dictionary of each target come from its line in
# tests/fuzz/CMakeLists.txt, as in the short runs. Targets that parse JSON,
# filters, TOML or protobuf are capped at 4 KiB there, so that nesting depth
# stays where the parsers are meant to handle it today.
spec() {  # spec <target> <MAX_LEN|DICT>
  sed -n "s/^pdb_fuzz_target($1 .*$2 \([^ )]*\).*/\1/p" "$SRC/CMakeLists.txt"
}
dict_arg() {
  local d
  d=$(spec "$1" DICT)
  if [ -n "$d" ]; then echo "-dict=$SRC/dict/$d"; fi
}
targets() {
  sed -n 's/^pdb_fuzz_target(\([a-z_]*\) .*/\1/p' "$SRC/CMakeLists.txt"
}

build() {
  if ! grep -qs 'PDB_FUZZ:BOOL=ON' "$BUILD/CMakeCache.txt"; then
    rm -rf "$BUILD"
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
      -DPDB_FUZZ=ON >/dev/null
  fi
  cmake --build "$BUILD" -j "$(nproc)" --target "$@"
}

# clang's sanitizers print raw addresses without llvm-symbolizer.
symbolizer() {
  local s
  for s in /usr/lib/llvm-16/bin/llvm-symbolizer "$(command -v llvm-symbolizer || true)"; do
    if [ -n "$s" ] && [ -x "$s" ]; then
      echo "$s"
      return
    fi
  done
}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(symbolizer)}

case "${1:-all}" in
  --symbolizer)  # for scripts/test.sh and tests/fuzz/run_short.sh
    symbolizer
    exit 0
    ;;
  --list)
    targets
    exit 0
    ;;
  --seeds)
    build fuzz_make_seeds
    "$BUILD/tests/fuzz/fuzz_make_seeds" "$SRC/corpus"
    echo "fuzz.sh: seeds rewritten under $SRC/corpus (see git status)"
    exit 0
    ;;
  all) names=$(targets) ;;
  *)
    if ! targets | grep -qx "$1"; then
      echo "fuzz.sh: unknown target '$1' (scripts/fuzz.sh --list)" >&2
      exit 2
    fi
    names=$1
    ;;
esac
seconds=${2:-600}

build $(for t in $names; do echo "${t}_fuzz"; done)
failed=()
for t in $names; do
  corpus="$BUILD/fuzz-corpus/$t" crashes="$BUILD/fuzz-crashes/$t"
  mkdir -p "$corpus" "$crashes"
  echo "== $t: ${seconds}s (corpus $corpus)"
  # -entropic=0: see tests/fuzz/run_short.sh.
  # shellcheck disable=SC2046,SC2086
  if ! ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$BUILD/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" \
    -max_len="$(spec "$t" MAX_LEN)" $(dict_arg "$t") -entropic=0 \
    -timeout=60 -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$crashes/" ${JOBS:+-fork=$JOBS} \
    ${FUZZ_ARGS:-} "$corpus" "$SRC/corpus/$t"; then
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]} (inputs under $BUILD/fuzz-crashes/)" >&2
  exit 1
fi
echo "fuzz.sh: no crash"
