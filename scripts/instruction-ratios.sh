#!/usr/bin/env bash
# Instruction counts per operation for the HS256 token paths, and their ratios,
# then the same ratios in wall-clock time with the two sides interleaved.
# Instructions, unlike seconds, do not move with the load of a shared machine:
# each operation runs N and 2N times under callgrind, and the difference divided
# by N is the cost of one operation with set-up removed.
#
#   bash scripts/instruction-ratios.sh [N]      (needs valgrind; default N=2000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
cargo bench -p auth-core --bench instructions --no-run 2>/dev/null
binary=$(ls -t target/release/deps/instructions-* | grep -v '\.d$' | head -n 1)

count() { # operation, iterations -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_op() {
  local one two
  one=$(count "$1" "$n")
  two=$(count "$1" $((2 * n)))
  echo $(((two - one) / n))
}

declare -A cost
for op in floor ours-verify ours-verify-cached jsonwebtoken-decode raw-mint ours-issue-token; do
  cost[$op]=$(per_op "$op")
  printf '%-22s %8d instructions\n' "$op" "${cost[$op]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "ours verify / floor:              $(ratio "${cost[ours-verify]}" "${cost[floor]}")"
echo "cached verify / floor:            $(ratio "${cost[ours-verify-cached]}" "${cost[floor]}")"
echo "jsonwebtoken decode / floor:      $(ratio "${cost[jsonwebtoken-decode]}" "${cost[floor]}")"
echo "ours issue_token / raw mint:      $(ratio "${cost[ours-issue-token]}" "${cost[raw-mint]}")"
echo
echo "wall clock, the two sides of each pair in alternating batches of 200:"
"$binary" interleaved 2000
