#!/usr/bin/env bash
# Sums the <Counters> of every TRX file in the given folders into one line "N passed, N failed[, N skipped]".
# Usage: trx-summary.sh STATUS DIR...  (STATUS: the exit status of the runs; non-zero with no failed test counts as 1 failed)
# Exits non-zero when anything failed or no TRX file was found.
set -uo pipefail
status=$1; shift
passed=0; failed=0; skipped=0
shopt -s nullglob
trx=()
for d in "$@"; do trx+=("$d"/*.trx); done
for f in "${trx[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  fl=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${fl:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
if [ ${#trx[@]} -eq 0 ]; then failed=$((failed + 1)); fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
