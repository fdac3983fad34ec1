#!/usr/bin/env bash
# What the JavaScript tests need (scripts/test.sh): node and npm
# (scripts/install-node.sh), Debian's chromium for the dashboard's browser
# test (driven by npm playwright-core), and the npm dependencies of the
# JavaScript client (clients/js) and the dashboard, both built.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-node.sh
# shellcheck source=lib/apt.sh
source scripts/lib/apt.sh
apt_install_missing install-js-deps chromium
./scripts/npm-ci.sh clients/js
(cd clients/js && npm run --silent build)
./scripts/build-dashboard.sh
