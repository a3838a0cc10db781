#!/usr/bin/env bash
# Prints the path of a Python interpreter that has the test suite's pinned packages (requirements.txt beside
# this file), making it first if needed: a virtual environment of the test run's own, under the build dir
# ($BACKTEST_TEST_VENV overrides), never the user's Python. Made once per lock-file content; later calls
# reuse it. Safe to call from several tests at once (flock). A registry hiccup is retried.
#
#   python=$(Tests/tools/test-venv.sh) || exit 1
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
lock="$here/requirements.txt"
venv=${BACKTEST_TEST_VENV:-$repo/.build/test-venv}
base=${BACKTEST_TEST_BASE_PYTHON:-python3}

# Exit 3: a system prerequisite is missing (the caller skips, naming it); exit 1: anything else failed.
fail() { echo "test-venv: $*" >&2; exit 1; }
missing() { echo "needs $1: $2" >&2; exit 3; }
command -v "$base" >/dev/null || missing "$base" "install Python 3.9 or newer (Debian: apt-get install python3)"
want=$(cat "$lock" <("$base" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

rm -rf "$venv"
"$base" -m venv "$venv" >&2 || { rm -rf "$venv"; missing "the venv module of $base" "apt-get install python3-venv (Debian)"; }
ok=0
for attempt in 1 2 3; do
  if "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$lock" >&2; then ok=1; break; fi
  echo "test-venv: pip install failed (attempt $attempt of 3); retrying" >&2
  sleep $((attempt * 5))
done
[ "$ok" = 1 ] || fail "could not install $lock into $venv (is PyPI reachable?)"
echo "$want" >"$venv/.stamp"
echo "$venv/bin/python"
