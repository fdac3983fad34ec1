#!/usr/bin/env bash
# Makes `node` and `npm` available for the dashboard (dashboard/) and the
# JavaScript client (clients/js). Installs Debian's nodejs and npm (node 18
# on Debian 12) only when no `node` is on PATH: a machine that already has a
# Node (e.g. node 20 from elsewhere, where Debian's npm cannot be installed
# beside it) is used as it is. Both projects build and test on node >= 18.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  # shellcheck source=lib/apt.sh
  source scripts/lib/apt.sh
  apt_install_missing install-node nodejs npm
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "install-node: node $(node --version) is too old: 18 or newer needed" >&2
  exit 1
fi
