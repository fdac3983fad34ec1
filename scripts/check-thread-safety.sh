#!/usr/bin/env bash
# Checks the lock annotations of src/ (util/thread_annotations.h) with
# clang's thread-safety analysis: every src/**/*.cc is compiled with
# `clang++-16 -fsyntax-only -Wthread-safety -Werror=thread-safety`, using the
# include paths and defines of a CMake build directory's
# compile_commands.json, in parallel. No objects are written, so this takes
# a fraction of a build. The build directory must have been built (or at
# least have its generated protobuf headers), e.g. by scripts/test.sh's
# first build, which calls this right after it.
#   scripts/check-thread-safety.sh [build-dir]   # default: build-test
#   scripts/check-thread-safety.sh --self-test   # the check can fail (ctest)
# Environment: CLANGXX (default clang++-16), JOBS (default nproc), ONLY (a
# regular expression: check only the files whose path matches it).
set -euo pipefail
cd "$(dirname "$0")/.."
CLANGXX=${CLANGXX:-clang++-16}
JOBS=${JOBS:-$(nproc)}
TSA_FLAGS=(-fsyntax-only -Wthread-safety -Werror=thread-safety)

if [ "${1:-}" = "--self-test" ]; then
  # tests/util/thread_safety_probe.cc must pass as it is, and fail with a
  # thread-safety error once it reads a guarded member without its lock.
  probe=tests/util/thread_safety_probe.cc
  "$CLANGXX" -std=c++20 -Isrc -Iinclude "${TSA_FLAGS[@]}" "$probe"
  if out=$("$CLANGXX" -std=c++20 -Isrc -Iinclude "${TSA_FLAGS[@]}" \
    -DPDB_PROBE_VIOLATION "$probe" 2>&1); then
    echo "check-thread-safety: the violation in $probe was NOT reported" >&2
    exit 1
  fi
  if ! grep -q "requires holding shared_mutex 'mu_'.*-Wthread-safety" <<<"$out"; then
    echo "check-thread-safety: unexpected failure of $probe:" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "check-thread-safety: self-test ok (the probe's violation is an error)"
  exit 0
fi

BUILD=${1:-build-test}
DB="$BUILD/compile_commands.json"
if [ ! -f "$DB" ]; then
  echo "check-thread-safety: no $DB (configure $BUILD with CMake first)" >&2
  exit 2
fi
command -v "$CLANGXX" >/dev/null || {
  echo "check-thread-safety: $CLANGXX not found (apt-get install clang-16)" >&2
  exit 2
}

# One line per translation unit of src/: "directory<TAB>arguments...", the
# compiler swapped for clang, the output dropped, the analysis switched on.
python3 - "$DB" "$CLANGXX" "$PWD/src/" "${ONLY:-}" "${TSA_FLAGS[@]}" \
  >"$BUILD/thread-safety.cmds" <<'PY'
import json, os, re, shlex, sys
db, clang, src, only = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
seen = set()
for e in json.load(open(db)):
    f = e["file"]
    if f in seen:
        continue
    if "/Unity/unity_" in f and f.endswith(".cxx"):
        # A unity build's batch (scripts/test.sh): one unit of the files it
        # includes; checked when they are src/ files.
        body = open(f).read() if os.path.exists(f) else ""
        if src not in body or (only and not re.search(only, body)):
            continue
    elif not f.startswith(src) or not f.endswith(".cc"):
        continue
    elif only and not re.search(only, f):
        continue
    seen.add(f)
    args = e.get("arguments") or shlex.split(e["command"])
    out, skip = [clang], False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD") or a == f:
            continue
        out.append(a)
    out += sys.argv[5:] + ["-Wno-unknown-warning-option", "-ferror-limit=0", f]
    print(e["directory"] + "\t" + shlex.join(out))
PY
n=$(wc -l <"$BUILD/thread-safety.cmds")
if [ "$n" -eq 0 ]; then
  echo "check-thread-safety: no src/ files in $DB" >&2
  exit 2
fi
echo "check-thread-safety: $n files with $CLANGXX, $JOBS at a time"
# Each unit prints its diagnostics; xargs exits non-zero if any failed.
# shellcheck disable=SC2016
if ! tr '\n' '\0' <"$BUILD/thread-safety.cmds" |
  xargs -0 -P "$JOBS" -n 1 sh -c '
    dir=$(printf "%s" "$1" | cut -f1); cmd=$(printf "%s" "$1" | cut -f2-)
    cd "$dir" && eval "$cmd"' sh; then
  echo "check-thread-safety: FAILED (see the errors above)" >&2
  exit 1
fi
echo "check-thread-safety: ok"
