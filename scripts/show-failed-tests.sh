#!/usr/bin/env bash
# Prints, after a failed ctest run, what each failed test said: its gtest
# failure lines with a few lines after each (or, when there are none, the
# last lines of its output). ctest --output-on-failure prints the whole
# output where the test ended, among hundreds of other tests; a CI log is
# often read from its tail, which then shows only the names. This puts the
# reasons at the tail.
#   scripts/show-failed-tests.sh BUILD_DIR
set -uo pipefail
dir=${1:?usage: show-failed-tests.sh BUILD_DIR}
failed="$dir/Testing/Temporary/LastTestsFailed.log"
log="$dir/Testing/Temporary/LastTest.log"
[ -f "$failed" ] && [ -f "$log" ] || exit 0
shown=0
while IFS= read -r line; do
  name=${line#*:}
  [ -n "$name" ] || continue
  shown=$((shown + 1))
  if [ "$shown" -gt 8 ]; then
    echo "(more failed tests: $failed)"
    break
  fi
  # The test's output: from its "Testing: NAME" header to "<end of output>"
  # (the last such section: a repeated test's final run).
  out=$(awk -v name="$name" '
    $0 ~ /^[0-9]+\/[0-9]+ Testing: / {
      sub(/^[0-9]+\/[0-9]+ Testing: /, "")
      if ($0 == name) { grab = 1; body = ""; next }
    }
    grab && /^<end of output>$/ { grab = 0; last = body; next }
    grab { body = body $0 "\n" }
    END { printf "%s", last }
  ' "$log")
  echo "== why $name failed =="
  if grep -q -e 'Failure$' -e 'ERROR: AddressSanitizer' \
    -e 'runtime error:' -e 'Sanitizer' <<<"$out"; then
    grep -A 10 -e 'Failure$' -e 'ERROR: AddressSanitizer' \
      -e 'runtime error:' <<<"$out" | head -120
  else
    tail -n 40 <<<"$out"
  fi
done <"$failed"
exit 0
