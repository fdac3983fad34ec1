#!/usr/bin/env bash
# Builds the Debian package of the server: proximadb_<VERSION>_amd64.deb in
# $BUILD_DIR (default build-deb), from a Release build of the server alone
# and the built dashboard (installing the Debian packages the build needs,
# node and npm included). docs/OPERATIONS.md,
# "Debian package"; scripts/check-deb.sh installs and checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --no-test-services
# cpack's DEB generator: dpkg-shlibdeps (dpkg-dev) computes Depends and needs
# `file` to tell executables apart.
# shellcheck source=lib/apt.sh
source scripts/lib/apt.sh
apt_install_missing build-deb file dpkg-dev
# The dashboard's files go into the package (cmake/Packaging.cmake).
./scripts/build-dashboard.sh
BUILD_DIR=${BUILD_DIR:-build-deb}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPDB_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" --target proximadb-server
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null)
deb="$BUILD_DIR/proximadb_$(cat VERSION)_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || { echo "build-deb: $deb was not made" >&2; exit 1; }
echo "$deb"
