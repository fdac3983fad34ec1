#!/usr/bin/env bash
# Checks that every tracked C/C++ source (src, include, tests, bench, tools)
# is formatted as the repository's .clang-format says, with Debian 12's
# clang-format (v14, /usr/bin/clang-format; scripts/install-deps.sh installs
# it). Generated code (build directories, *.pb.* and the Python stubs) and the
# fuzz corpora (tests/fuzz/corpus, not C++) are not checked. Prints the files
# that differ and the command that fixes them; exits 1 if there is any.
#   ./scripts/check-format.sh            # from anywhere in the repository
#   CLANG_FORMAT=clang-format-14 ./scripts/check-format.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
if ! command -v "$CLANG_FORMAT" >/dev/null; then
  echo "check-format: $CLANG_FORMAT not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

list_sources() {  # the tracked files; every file outside a git checkout
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -- src include tests bench tools
  else
    find src include tests bench tools -type f 2>/dev/null | sort
  fi
}
mapfile -t files < <(list_sources |
  grep -E '\.(c|cc|cpp|cxx|h|hh|hpp)$' |
  grep -vE '(^|/)build[^/]*/|\.pb\.(cc|h)$|^tests/fuzz/corpus/' || true)
if [ ${#files[@]} -eq 0 ]; then
  echo "check-format: no C/C++ files found" >&2
  exit 2
fi

# One clang-format process for all the files (seconds, not a minute); it names
# each file that differs in its "file:line:col: error: code should be
# clang-formatted" diagnostics.
rc=0
out=$("$CLANG_FORMAT" --dry-run --Werror "${files[@]}" 2>&1) || rc=$?
mapfile -t bad < <(printf '%s\n' "$out" |
  sed -nE 's/^(.+):[0-9]+:[0-9]+: error: code should be clang-formatted.*/\1/p' |
  sort -u)
if [ "$rc" -ne 0 ] && [ ${#bad[@]} -eq 0 ]; then
  printf '%s\n' "$out" >&2
  echo "check-format: $CLANG_FORMAT failed" >&2
  exit 2
fi

if [ ${#bad[@]} -ne 0 ]; then
  echo "check-format: ${#bad[@]} of ${#files[@]} files are not clang-formatted:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "fix with:" >&2
  echo "  $CLANG_FORMAT -i ${bad[*]}" >&2
  exit 1
fi
