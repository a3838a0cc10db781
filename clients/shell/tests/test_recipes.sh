#!/bin/sh
# Runs every ```sh block of docs/recipes.md and docs/clients/shell.md, in order, in one fresh workspace, with `set -e` and pipefail
# (bash), then a few checks of the bt-* scripts' exit codes. Prints one line per case and a final
# "shell: N passed, M failed"; exits 1 when anything failed.
#
# Server: $BACKTEST_RPC_BIN, else the repo's .build/debug/backtest-rpc.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
fixtures="$repo/Tests/Fixtures"
bin=${BACKTEST_RPC_BIN:-$repo/.build/debug/backtest-rpc}
if [ ! -x "$bin" ]; then
  echo "no server binary at $bin"
  echo "shell: 0 passed, 1 failed"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
W="$work/ws"
mkdir -p "$W" "$work/bin" "$work/blocks"
cp "$repo/docs/examples/sma_crossover.py" "$fixtures/scripts/hang.py" "$fixtures/scripts/crash.py" "$W/"
# `backtest-rpc` on PATH as the recipes assume, whatever the binary is called.
ln -s "$bin" "$work/bin/backtest-rpc"
export W PATH="$work/bin:$repo/clients/shell:$PATH" BACKTEST_RPC_BIN="$work/bin/backtest-rpc"

# Extract the blocks: blocks/001.sh, 002.sh, ... each preceded by its heading for the report.
awk -v dir="$work/blocks" '
  /^## / { heading = substr($0, 4) }
  /^```sh[ \t]*$/ { n++; file = sprintf("%s/%03d.sh", dir, n); print "# " heading > file; inblock = 1; next }
  /^```[ \t]*$/ && inblock { inblock = 0; close(file); next }
  inblock { print > file }
' "$repo/docs/recipes.md" "$repo/docs/clients/shell.md"

passed=0
failed=0
report() { # name, status, output file
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   $1"
  else
    failed=$((failed + 1)); echo "FAIL $1 (exit $2)"; sed 's/^/     | /' "$3" | tail -20
  fi
}

count=0
for block in "$work"/blocks/*.sh; do
  [ -e "$block" ] || continue
  count=$((count + 1))
  name="recipe $(basename "$block" .sh): $(head -1 "$block" | cut -c3-)"
  (cd "$work" && timeout 120 bash -eo pipefail "$block") > "$work/out" 2>&1
  report "$name" $? "$work/out"
done
if [ "$count" -lt 10 ]; then
  echo "FAIL found only $count sh blocks in the docs"; failed=$((failed + 1))
fi

# The sweep recipe's ranking: every run of its sweep once, each with the metrics.sharpe of its record on disk,
# best first.
(
  t=$(printf '\t')
  [ "$(wc -l < "$work/ranked.tsv")" -eq 6 ] || exit 1
  prev=
  while IFS=$t read -r id status fast slow sharpe; do
    record="$W/backtests/$id/run.json"
    [ "$(jq -r '.status' "$record")" = "$status" ] || exit 2
    [ "$(jq -r '"\(.params.fast) \(.params.slow) \(.metrics.sharpe)"' "$record")" = "$fast $slow $sharpe" ] || exit 3
    if [ -n "$prev" ]; then awk -v a="$prev" -v b="$sharpe" 'BEGIN { exit !(a + 0 >= b + 0) }' || exit 4; fi
    prev=$sharpe
  done < "$work/ranked.tsv"
  [ "$(cut -f1 "$work/ranked.tsv" | sed 's/__[0-9]*$//' | sort -u | wc -l)" -eq 1 ] || exit 5  # one sweep
) > "$work/out" 2>&1
report "recipe: the sweep's runs ranked by their records' metrics.sharpe" $? "$work/out"

# bt-run's exit code follows the run's outcome; its stdout is the log.
export BACKTEST_WORKSPACE="$W"
(
  out=$(bt-run sma_crossover.py days=20 fast=2 slow=5 2>"$work/err") || exit 1
  printf '%s\n' "$out" | grep -q '^Backtest complete' || exit 2
  grep -q ' completed$' "$work/err" || exit 3
) > "$work/out" 2>&1
report "bt-run: completed run exits 0 and prints its log" $? "$work/out"

(
  bt-run crash.py code=3 > "$work/o" 2> "$work/err" && exit 1
  grep -q 'ERROR: simulated failure' "$work/o" || exit 2
  grep -q 'failed (exit_code' "$work/err" || exit 3
) > "$work/out" 2>&1
report "bt-run: failed run exits 1" $? "$work/out"

(
  bt-run no_such.py 2> "$work/err" && exit 1
  grep -q 'code 2002' "$work/err" || exit 2
) > "$work/out" 2>&1
report "bt-run: unknown script exits 1 with the error" $? "$work/out"

(
  bt-list -s failed > "$work/o" || exit 1
  head -1 "$work/o" | grep -q '^RUN_ID' || exit 2
  grep -q 'crash.py' "$work/o" || exit 3
  grep -q 'sma_crossover.py' "$work/o" && exit 4
  id=$(awk 'NR == 2 {print $1}' "$work/o")
  bt-logs "$id" > "$work/log" || exit 5
  [ "$(head -1 "$work/log")" = "Processing day 1/10" ] || exit 6
  [ "$(bt-logs "$id" -n 1)" = "ERROR: simulated failure on day 4/10, exiting with code 3" ] || exit 7
  bt-logs 19990101_000000_000 2>/dev/null && exit 8
  exit 0
) > "$work/out" 2>&1
report "bt-list and bt-logs" $? "$work/out"

echo "shell: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
