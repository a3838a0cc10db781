"""``python -m backtest_rpc`` against the real server."""
import json
import subprocess
import sys


def cli(workspace, *args, timeout=60):
    return subprocess.run([sys.executable, "-m", "backtest_rpc", "--workspace", str(workspace), *args],
                          capture_output=True, text=True, timeout=timeout)


def test_run_follow_list_status_logs(server_bin, workspace):
    r = cli(workspace, "run", "scripts/strategy_analyzer.py", "start_date=2024-01-01", "end_date=2024-01-31",
            "trades=40", "--tag", "cli", "--follow", "--json")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0].startswith("Starting backtest")
    assert "Processing day 23/23 (2024-01-31)" in out
    record = json.loads(out[-1])
    assert record["status"] == "completed" and record["params"]["trades"] == 40
    assert "completed" in r.stderr  # status changes are reported on stderr
    run_id = record["run_id"]

    r = cli(workspace, "list")
    assert r.returncode == 0 and run_id in r.stdout and "completed" in r.stdout
    header = r.stdout.splitlines()[0].split()
    assert header[:3] == ["run_id", "status", "script"]

    r = cli(workspace, "status", run_id)
    assert r.returncode == 0 and "completed" in r.stdout and "scripts/strategy_analyzer.py" in r.stdout

    r = cli(workspace, "logs", run_id, "-n", "2")
    assert r.returncode == 0
    assert r.stdout.splitlines()[-1].startswith("Backtest complete")
    assert len(r.stdout.splitlines()) == 2

    r = cli(workspace, "logs", run_id, "-f")  # a finished run: prints everything, exits with its outcome
    assert r.returncode == 0 and r.stdout.splitlines()[0].startswith("Starting backtest")


def test_failed_run_exits_1_and_unknown_run_exits_2(server_bin, workspace):
    r = cli(workspace, "run", "scripts/crash.py", "--follow")
    assert r.returncode == 1
    assert "ERROR: simulated failure" in r.stdout and "failed" in r.stderr
    r = cli(workspace, "status", "19990101_000000_000")
    assert r.returncode == 2 and "2001" in r.stderr


def test_run_detached_then_cancel(server_bin, workspace):
    r = cli(workspace, "run", "scripts/hang.py")
    assert r.returncode == 0
    run_id = r.stdout.strip()
    # The CLI has exited and its server with it; the run lives on and another invocation can follow it.
    follower = subprocess.Popen([sys.executable, "-m", "backtest_rpc", "--workspace", str(workspace),
                                 "logs", run_id, "-f"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    assert follower.stdout.readline().startswith("hang.py pid=")
    r = cli(workspace, "cancel", run_id)
    assert r.returncode == 0 and run_id in r.stdout
    out, err = follower.communicate(timeout=30)
    assert follower.returncode == 1 and "cancelled" in err
