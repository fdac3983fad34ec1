#!/usr/bin/env bash
# run_node_tests.sh PROJECT BUILT TESTS: runs the node:test files of an npm
# project of this repository (clients/js, dashboard) with `node --test`, for
# ctest (tests/CMakeLists.txt). PROJECT is the project's directory, BUILT a
# file or directory its build makes (dist/...), TESTS the directory of its
# *.test.{js,mjs} files, listed explicitly (node 18 takes no glob patterns).
# Without node, the installed npm packages or the build, the test is skipped
# (exit 77) unless PDB_REQUIRE_JS=1, as scripts/test.sh sets after
# scripts/install-js-deps.sh: then it fails.
set -euo pipefail
project=$1 built=$2 tests=$3
skip() {
  if [ -n "${PDB_REQUIRE_JS:-}" ]; then
    echo "FAIL: $1 (PDB_REQUIRE_JS is set; run scripts/install-js-deps.sh)" >&2
    exit 1
  fi
  echo "SKIP: $1 (scripts/install-js-deps.sh installs and builds it)"
  exit 77
}
command -v node >/dev/null || skip "no node on PATH"
[ -d "$project/node_modules" ] || skip "$project/node_modules is missing"
[ -e "$built" ] || skip "$built is missing"
mapfile -t files < <(find "$tests" -maxdepth 1 -type f \
  \( -name '*.test.js' -o -name '*.test.mjs' \) | sort)
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no test files in $tests" >&2; exit 1; }
cd "$project"
exec node --test "${files[@]}"
