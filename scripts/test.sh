#!/usr/bin/env bash
# Runs the whole test suite: installs the Debian packages, checks that every
# C/C++ file is clang-formatted (scripts/check-format.sh), builds everything
# with the tests, runs ctest (unit, crash, fault and integration tests that
# start the real server, the object store against a real S3 (radosgw, label
# `s3`), the PostgreSQL catalog against a real PostgreSQL (label `pg`), the
# Python client's tests, the JavaScript client's tests and the dashboard's
# tests in a real headless chromium (label `browser`)), then builds everything
# again with clang-16 under AddressSanitizer + UndefinedBehaviorSanitizer (and
# the lock annotations' -Werror=thread-safety) in a second build directory, together with the libFuzzer targets of tests/fuzz,
# and runs it all there: the tests (the server and its integration tests
# included) and a short deterministic run of every fuzz target over its
# committed corpus (scripts/fuzz.sh runs them for longer).
#   PDB_CRASH_ITERATIONS=200 ./scripts/test.sh   # a longer crash test
#   PDB_SKIP_SANITIZERS=1 ./scripts/test.sh      # the first half only
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/install-python-deps.sh  # the Python client's tests
# node, npm and chromium; the JavaScript client and the dashboard, built.
./scripts/install-js-deps.sh
echo "== format (clang-format --dry-run --Werror) =="
./scripts/check-format.sh
JOBS=${JOBS:-$(nproc)}
# The object store's `s3` tests run against a real radosgw that install-deps.sh
# installed: here they must run, never skip (tests/s3/s3_fixture.sh).
export PDB_REQUIRE_S3=1
# The same for NATS JetStream (`nats` tests, tests/cluster_nats).
export PDB_REQUIRE_NATS=1
# Likewise the `etcd` tests against a real etcd (tests/cluster/etcd_fixture.sh).
export PDB_REQUIRE_ETCD=1
# Likewise the PostgreSQL catalog's `pg` tests (tests/cluster_pg/pg_fixture.sh).
export PDB_REQUIRE_PG=1
# And the JavaScript tests (tests/run_node_tests.sh) with their browser.
export PDB_REQUIRE_JS=1 PDB_REQUIRE_BROWSER=1

# Both builds are unity builds (8 sources per compiler run: the heavy
# headers are parsed, and their templates compiled, once per batch instead
# of once per file), which more than halves the build time on CI's 2
# cores; docs/TESTING.md, "Unity builds". The first build's debug
# information is line tables only (-g1): backtraces keep file and line.
UNITY=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8)

echo "== build (RelWithDebInfo) and test =="
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "${UNITY[@]}" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake --build build-test -j "$JOBS"
# On a failure, the failed tests' reasons are repeated at the end of the log
# (scripts/show-failed-tests.sh), where a reader of its tail looks.
ctest --test-dir build-test --output-on-failure -j "$JOBS" --timeout 600 || {
  scripts/show-failed-tests.sh build-test
  exit 8
}
# Lock annotations: every clang build compiles with -Werror=thread-safety
# (CMakeLists.txt), so the sanitizer build below checks them at no extra
# cost; without it, a syntax-only clang pass checks them instead.
if [ -n "${PDB_SKIP_SANITIZERS:-}" ]; then
  echo "== lock annotations (clang-16 -Wthread-safety, syntax only) =="
  JOBS="$JOBS" ./scripts/check-thread-safety.sh build-test
fi

if [ -z "${PDB_SKIP_SANITIZERS:-}" ]; then
  echo "== tests and fuzz targets under ASan + UBSan (clang-16) =="
  # A build-asan configured by an older test.sh (gcc) is started afresh.
  if [ -f build-asan/CMakeCache.txt ] &&
    ! grep -q '^PDB_FUZZ:BOOL=ON' build-asan/CMakeCache.txt; then
    rm -rf build-asan
  fi
  # Debug keeps the assertions; its debug information is line tables only
  # (sanitizer reports keep function, file and line, inlined frames
  # included), which cut the compile of a heavy batch from 34 to 22 s.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS_DEBUG=-gline-tables-only \
    -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only \
    -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
    -DPDB_FUZZ=ON "${UNITY[@]}" >/dev/null
  cmake --build build-asan -j "$JOBS"
  export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(scripts/fuzz.sh --symbolizer)}
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" --timeout 900 \
    -LE "s3|cluster_e2e|simd_levels|browser" || {
    scripts/show-failed-tests.sh build-asan
    exit 8
  }
  # -LE: these ran in the first pass (radosgw is slow to start; the cluster
  # end-to-end test runs 3 servers, and nats.ClusterNodeTest covers its
  # code; the index tests at every SIMD level took 610 s here, the scalar
  # one alone 460 s as the pass's tail, while every index test already runs
  # at the best level and simd_kernels_test compares every level's kernels)
fi
echo "== all tests passed =="
