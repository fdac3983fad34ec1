#!/usr/bin/env bash
# npm-ci.sh DIR: installs DIR's npm dependencies exactly as its committed
# package-lock.json says (`npm ci`), unless the installed node_modules came
# from that same lock file already (a stamp file records it), so a second
# run costs nothing.
set -euo pipefail
dir=$1
stamp="$dir/node_modules/.proximadb-lock-stamp"
if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
  exit 0
fi
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
cp "$dir/package-lock.json" "$stamp"
