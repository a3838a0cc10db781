"""Shared fixtures: the real server binary and a fresh workspace holding the fixture strategies.

The binary is $BACKTEST_RPC_BIN, else the repo's .build/debug/backtest-rpc. When neither exists the tests
that need it are skipped, unless $BACKTEST_RPC_BIN was set explicitly (clients/run-tests.sh always sets it),
in which case a missing binary is a failure, not a skip.
"""
import os
import shutil
import stat
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FIXTURES = REPO / "Tests" / "Fixtures"


def server_binary():
    explicit = os.environ.get("BACKTEST_RPC_BIN")
    path = Path(explicit) if explicit else REPO / ".build" / "debug" / "backtest-rpc"
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    if explicit:
        pytest.fail(f"BACKTEST_RPC_BIN={explicit} is not an executable file")
    pytest.skip(f"no server binary at {path} (build it, or set BACKTEST_RPC_BIN)")


@pytest.fixture(scope="session")
def server_bin():
    b = server_binary()
    os.environ["BACKTEST_RPC_BIN"] = b  # Client(), the CLI and kernels started by the tests find it here
    return b


def make_workspace(root: Path) -> Path:
    """A workspace like a user's: strategies under scripts/, the fixtures' generator beside them (the
    strategies import ../make_outputs.py), and the docs' example strategy at the root."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "make_outputs.py", root / "make_outputs.py")
    scripts = root / "scripts"
    scripts.mkdir(exist_ok=True)
    for name in ("strategy_analyzer.py", "log_flood.py", "hang.py", "crash.py"):
        shutil.copy(FIXTURES / "scripts" / name, scripts / name)
    for extra in (HERE / "scripts").glob("*.py"):
        shutil.copy(extra, scripts / extra.name)
    example = REPO / "docs" / "examples" / "sma_crossover.py"
    if example.exists():
        shutil.copy(example, root / "sma_crossover.py")
    for p in list(scripts.glob("*.py")) + list(root.glob("*.py")):
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return root


@pytest.fixture
def workspace(tmp_path):
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def client(server_bin, workspace):
    from backtest_rpc import Client
    c = Client(workspace, timeout=30)
    yield c
    c.close()


# Small, fast arguments for the fixture strategy: January 2024 (23 trading days), 40 trades.
SMALL = {"start_date": "2024-01-01", "end_date": "2024-01-31", "trades": 40}
