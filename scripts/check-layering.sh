#!/usr/bin/env bash
# Fails when a module includes a module above it. The layering (STYLE.md):
#   util <- index <- storage <- filter <- collection <- cluster <- service <- api <- server
# (filter sits beside storage: it needs only util). Run by ctest as
# "layering"; also usable by hand: scripts/check-layering.sh [repo root].
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root/src"

allowed() {  # module -> the modules it may include (besides itself)
  case "$1" in
    util) echo "" ;;
    index) echo "util" ;;
    storage) echo "util index" ;;
    filter) echo "util" ;;
    collection) echo "util index storage filter" ;;
    cluster) echo "util index storage filter collection" ;;
    service) echo "util index storage filter collection cluster" ;;
    api/rest | api/grpc) echo "util index storage filter collection cluster service" ;;
    server) echo "util index storage filter collection cluster service api/rest api/grpc" ;;
    *) echo "?" ;;
  esac
}

status=0
while IFS= read -r file; do
  mod=${file%%/*}
  [ "$mod" = api ] && mod=$(echo "$file" | cut -d/ -f1-2)
  ok="$mod $(allowed "$mod")"
  while IFS= read -r inc; do
    target=${inc%%/*}
    [ "$target" = api ] && target=$(echo "$inc" | cut -d/ -f1-2)
    case "$target" in proximadb | *.h) continue ;; esac  # public API, same dir
    if ! [[ " $ok " == *" $target "* ]]; then
      echo "layering: src/$file includes \"$inc\" ($mod may not depend on $target)"
      status=1
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find . -name '*.h' -o -name '*.cc' | sed 's|^\./||' | grep -v '/generated/')
[ $status -eq 0 ] && echo "layering: ok"
exit $status
