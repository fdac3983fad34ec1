#!/usr/bin/env bash
# Writes the compatibility data of this release: tests/data/v<VERSION>/, a
# small data directory in every on-disk format the release writes (the
# catalog, flushed and compacted segments, HNSW graphs with int8 codes,
# payload index files, manifests, native and Avro WALs holding unflushed
# writes of every op type), produced by tests/compat/make_compat_data from
# the script in tests/compat/compat_data.h. tests/compat/compat_test.cc
# copies every tests/data/v*/ directory to a temporary directory and opens it
# with the current code (docs/FORMATS.md, "Compatibility data").
#
# When a release changes an on-disk format, run this for the new version:
# the directories of earlier releases stay, untouched, and a new one is
# added beside them, so that the new code is tested against every format it
# must still read. An existing directory is never rewritten (the tool
# refuses); if the script in compat_data.h has to change, keep the old one
# for the old directories.
#   ./scripts/make-compat-data.sh            # tests/data/v$(cat VERSION)
#   BUILD_DIR=build ./scripts/make-compat-data.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
version=$(head -n1 VERSION)
out=tests/data/v$version
if [ -e "$out" ]; then
  echo "make-compat-data: $out exists; the data of a release is never rewritten" >&2
  exit 1
fi
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD_DIR" --target make_compat_data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BUILD_DIR/tests/make_compat_data" "$tmp/data"
# SQLite's shared-memory index is scratch, rebuilt by whoever opens the
# catalog; everything else is what the release left on disk.
rm -f "$tmp/data/catalog.db-shm"
mkdir -p tests/data
cp -a "$tmp/data" "$out"
echo "make-compat-data: wrote $out ($(du -sh "$out" | cut -f1)):"
(cd "$out" && find . -type f | sort)
