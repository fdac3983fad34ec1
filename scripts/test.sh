#!/usr/bin/env bash
# Runs the whole test suite: installs the Debian packages, builds everything
# with the tests, runs ctest (unit, crash, fault and integration tests that
# start the real server, and the Python client's tests), then builds the unit tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer in a second build directory
# and runs them there (the server and its integration tests included).
#   PDB_CRASH_ITERATIONS=200 ./scripts/test.sh   # a longer crash test
#   PDB_SKIP_SANITIZERS=1 ./scripts/test.sh      # the first half only
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/install-python-deps.sh  # the Python client's tests
JOBS=${JOBS:-$(nproc)}

echo "== build (RelWithDebInfo) and test =="
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-test -j "$JOBS"
ctest --test-dir build-test --output-on-failure -j "$JOBS" --timeout 600

if [ -z "${PDB_SKIP_SANITIZERS:-}" ]; then
  echo "== unit tests under ASan + UBSan =="
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DPDB_SANITIZE=ON >/dev/null
  cmake --build build-asan -j "$JOBS"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" --timeout 900
fi
echo "== all tests passed =="
