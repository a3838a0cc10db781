#!/usr/bin/env bash
# Runs every client test against one server binary: Python (pytest, including the Jupyter kernel test),
# Neovim (headless), and the shell scripts + docs/recipes.md.
#
#   BACKTEST_RPC_BIN=/path/to/backtest-rpc clients/run-tests.sh     (default: .build/debug/backtest-rpc)
#
# Installs what is missing (the package itself, pytest, ipykernel, jupyter_client; neovim and jq with apt),
# prints "clients: N passed, M failed" last, and exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export BACKTEST_RPC_BIN=$(realpath "${BACKTEST_RPC_BIN:-$repo/.build/debug/backtest-rpc}")
if [ ! -x "$BACKTEST_RPC_BIN" ]; then
  echo "clients: no server binary at $BACKTEST_RPC_BIN (swift build first, or set BACKTEST_RPC_BIN)"
  echo "clients: 0 passed, 1 failed"
  exit 1
fi

# ---- what the tests need ---------------------------------------------------------------------------------
apt_missing=()
command -v jq >/dev/null || apt_missing+=(jq)
command -v nvim >/dev/null || apt_missing+=(neovim)
if ((${#apt_missing[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi
python3 -m pip --version >/dev/null 2>&1 ||
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null; }
pip_install() {
  # A Debian system python refuses plain pip installs (PEP 668); this is a throwaway test machine.
  python3 -m pip install -q --disable-pip-version-check "$@" ||
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --disable-pip-version-check "$@"
}
python3 -c 'import pytest, ipykernel, jupyter_client' 2>/dev/null || pip_install pytest ipykernel jupyter_client
# Always reinstall the package from this tree (not an older installed copy).
pip_install --force-reinstall --no-deps ./clients/python >/dev/null

passed=0
failed=0
count() { # adds the "N passed" and "N failed" / "N error(s)" of a summary line to the totals
  local p f
  read -r p f < <(awk '{ for (i = 2; i <= NF; i++) { w = $i; gsub(/[^a-z]/, "", w); n = $(i - 1) + 0
                       if (w == "passed") p += n; else if (w == "failed" || w == "error" || w == "errors") f += n } }
                       END { print p + 0, f + 0 }' <<<"$1")
  passed=$((passed + p))
  failed=$((failed + f))
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS

# ---- Python client and Jupyter kernel --------------------------------------------------------------------
echo "== python (pytest, in clients/python)"
(cd clients/python && python3 -m pytest -q -p no:cacheprovider tests) 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -1)
count "$summary"
if [ "$rc" -ne 0 ] && [ -z "$(grep -oE '[0-9]+ (failed|error)' <<<"$summary")" ]; then failed=$((failed + 1)); fi
if grep -qE '[0-9]+ skipped' <<<"$summary"; then echo "note: python tests skipped: $summary"; fi

# ---- Neovim ----------------------------------------------------------------------------------------------
echo "== nvim (headless)"
timeout 300 nvim --headless -u NONE -i NONE -c 'luafile clients/nvim/tests/run_test.lua' 2>&1 </dev/null | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^nvim: [0-9]+ passed' "$log" | tail -1)
count "$summary"
if [ "$rc" -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' <<<"$summary"; then failed=$((failed + 1)); fi

# ---- shell scripts and recipes ---------------------------------------------------------------------------
echo "== shell (clients/shell, docs/recipes.md)"
sh clients/shell/tests/test_recipes.sh 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^shell: [0-9]+ passed' "$log" | tail -1)
count "$summary"
if [ "$rc" -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' <<<"$summary"; then failed=$((failed + 1)); fi

echo "client tests took $((SECONDS - start)) s"
echo "clients: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
