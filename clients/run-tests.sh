#!/usr/bin/env bash
# Runs every client test against one server binary: Python (pytest, including the Jupyter kernel test),
# Neovim (headless), and the shell scripts + docs/recipes.md.
#
#   BACKTEST_RPC_BIN=/path/to/backtest-rpc clients/run-tests.sh     (default: .build/debug/backtest-rpc)
#
# Installs nothing on the system and nothing into the user's Python: the Python tests run in the test run's
# own venv (Tests/tools/test-venv.sh, pinned packages). A part whose system prerequisite is missing (neovim,
# jq, python3's venv module) is skipped with a line "skipped: <part>: needs <what>: <how to install>";
# `.ci/run` installs them all and fails on any skip. Prints "clients: N passed, M failed, K skipped" last and
# exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export BACKTEST_RPC_BIN=$(realpath "${BACKTEST_RPC_BIN:-$repo/.build/debug/backtest-rpc}")
if [ ! -x "$BACKTEST_RPC_BIN" ]; then
  echo "clients: no server binary at $BACKTEST_RPC_BIN (swift build first, or set BACKTEST_RPC_BIN)"
  echo "clients: 0 passed, 1 failed"
  exit 1
fi

passed=0
failed=0
skips=()
count() { # adds the "N passed" and "N failed" / "N error(s)" of a summary line to the totals
  local p f
  read -r p f < <(awk '{ for (i = 2; i <= NF; i++) { w = $i; gsub(/[^a-z]/, "", w); n = $(i - 1) + 0
                       if (w == "passed") p += n; else if (w == "failed" || w == "error" || w == "errors") f += n } }
                       END { print p + 0, f + 0 }' <<<"$1")
  passed=$((passed + p))
  failed=$((failed + f))
}
skip() { skips+=("$1"); echo "skipped: $1"; }
log=$(mktemp)
venv_err=$(mktemp)
trap 'rm -f "$log" "$venv_err"' EXIT
start=$SECONDS

# ---- Python client and Jupyter kernel --------------------------------------------------------------------
echo "== python (pytest, in clients/python)"
python=$(bash Tests/tools/test-venv.sh 2>"$venv_err")
case $? in
  0)
    # The client from this tree, not an installed copy; kernels started by the tests inherit the path.
    export PYTHONPATH="$repo/clients/python${PYTHONPATH:+:$PYTHONPATH}"
    (cd clients/python && "$python" -m pytest -q -rs -p no:cacheprovider tests) 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    summary=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -1)
    count "$summary"
    if [ "$rc" -ne 0 ] && [ -z "$(grep -oE '[0-9]+ (failed|error)' <<<"$summary")" ]; then failed=$((failed + 1)); fi
    # pytest -rs: "SKIPPED [1] tests/x.py:12: reason"
    while IFS= read -r line; do skip "python: ${line#SKIPPED }"; done < <(grep -E '^SKIPPED ' "$log")
    ;;
  3) skip "python: $(tail -1 "$venv_err")" ;;
  *) cat "$venv_err"; echo "python: could not make the test venv"; failed=$((failed + 1)) ;;
esac

# ---- Neovim ----------------------------------------------------------------------------------------------
echo "== nvim (headless)"
if command -v nvim >/dev/null; then
  timeout 300 nvim --headless -u NONE -i NONE -c 'luafile clients/nvim/tests/run_test.lua' 2>&1 </dev/null | tee "$log"
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '^nvim: [0-9]+ passed' "$log" | tail -1)
  count "$summary"
  if [ "$rc" -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' <<<"$summary"; then failed=$((failed + 1)); fi
else
  skip "nvim: needs neovim: apt-get install neovim (Debian)"
fi

# ---- shell scripts and recipes ---------------------------------------------------------------------------
echo "== shell (clients/shell, docs/recipes.md)"
if command -v jq >/dev/null; then
  sh clients/shell/tests/test_recipes.sh 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '^shell: [0-9]+ passed' "$log" | tail -1)
  count "$summary"
  if [ "$rc" -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' <<<"$summary"; then failed=$((failed + 1)); fi
else
  skip "shell: needs jq: apt-get install jq (Debian)"
fi

echo "client tests took $((SECONDS - start)) s"
echo "clients: $passed passed, $failed failed, ${#skips[@]} skipped"
[ "$failed" -eq 0 ]
