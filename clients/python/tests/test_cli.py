"""``python -m backtest_rpc`` against the real server: every subcommand."""
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(workspace, *args, timeout=60, binary=False, env=None):
    return subprocess.run([sys.executable, "-m", "backtest_rpc", "--workspace", str(workspace), *args],
                          capture_output=True, text=not binary, timeout=timeout, env=env)


def run_to_end(workspace, *args):
    """``run ... --follow --json``: the final record (stdout holds only it)."""
    r = cli(workspace, "run", *args, "--follow", "--json")
    assert r.stdout.strip(), r.stderr
    return json.loads(r.stdout)


def finding_lines(text):
    """The lines that are findings (``file[:line]: severity: message [rule]``)."""
    return [ln for ln in text.splitlines() if ": error: " in ln or ": warning: " in ln]


def test_run_follow_list_status_logs(server_bin, workspace):
    r = cli(workspace, "run", "scripts/strategy_analyzer.py", "start_date=2024-01-01", "end_date=2024-01-31",
            "trades=40", "--tag", "cli", "--follow")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0].startswith("Starting backtest")
    assert "Processing day 23/23 (2024-01-31)" in out
    assert "completed" in r.stderr  # status changes are reported on stderr
    assert "validation: valid: 0 errors, 0 warnings" in r.stderr.splitlines()[-1]

    # --json: stdout is the final record only; the log goes to stderr.
    r = cli(workspace, "run", "scripts/strategy_analyzer.py", "start_date=2024-01-01", "end_date=2024-01-31",
            "trades=40", "--tag", "cli", "--follow", "--json")
    assert r.returncode == 0, r.stderr
    record = json.loads(r.stdout)
    assert record["status"] == "completed" and record["params"]["trades"] == 40
    assert "Processing day 23/23 (2024-01-31)" in r.stderr
    run_id = record["run_id"]

    r = cli(workspace, "list")
    assert r.returncode == 0 and run_id in r.stdout and "completed" in r.stdout
    header = r.stdout.splitlines()[0].split()
    assert header[:3] == ["run_id", "status", "script"]
    r = cli(workspace, "list", "--tag", "cli", "--json")
    assert json.loads(r.stdout)["total"] == 2

    r = cli(workspace, "status", run_id)
    assert r.returncode == 0 and "completed" in r.stdout and "scripts/strategy_analyzer.py" in r.stdout
    assert "valid=True errors=0 warnings=0" in r.stdout

    r = cli(workspace, "logs", run_id, "-n", "2")
    assert r.returncode == 0
    assert r.stdout.splitlines()[-1].startswith("Backtest complete")
    assert len(r.stdout.splitlines()) == 2
    r = cli(workspace, "logs", run_id, "-n", "2", "--json")  # one JSON object per line
    lines = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert len(lines) == 2 and lines[-1]["text"].startswith("Backtest complete") and lines[0]["seq"] >= 0

    r = cli(workspace, "logs", run_id, "-f")  # a finished run: prints everything, exits with its outcome
    assert r.returncode == 0 and r.stdout.splitlines()[0].startswith("Starting backtest")


def test_run_follow_ends_with_each_finding_once(server_bin, workspace):
    r = cli(workspace, "run", "scripts/defective.py", "defect=null_pnl", "--follow")
    assert r.returncode == 1  # the run failed (validation)
    assert "writing outputs with defect null_pnl" in r.stdout
    err = r.stderr.splitlines()
    run_id = err[0].split("]")[0].lstrip("[")
    report = json.loads(cli(workspace, "status", run_id, "--json").stdout)["validation"]
    reported = report["issues"]
    assert len(reported) == len(report["errors"]) + len(report["warnings"]) == 3
    # The output ends with: the final status, the validation summary, then each finding once.
    final = next(i for i, ln in enumerate(err) if ln.startswith(f"[{run_id}] failed (validation)"))
    assert err[final + 1].startswith(f"[{run_id}] validation: NOT valid: 3 errors, 0 warnings")
    findings = err[final + 2:]
    assert findings == finding_lines(r.stderr)
    assert len(findings) == len(set(findings)) == len(reported)
    for line, issue in zip(findings, reported):
        assert line == f"trades.csv:{issue['line']}: error: pnl is empty [trades.not_null]"


def test_failed_run_exits_1_and_unknown_run_exits_2(server_bin, workspace):
    r = cli(workspace, "run", "scripts/crash.py", "--follow")
    assert r.returncode == 1
    assert "ERROR: simulated failure" in r.stdout and "failed" in r.stderr
    assert 'trades.csv: error: missing: the script wrote no trades.csv (to run without checks: profile: "none") [trades.exists]' in r.stderr
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
    r = cli(workspace, "rerun", run_id)  # it has not ended
    assert r.returncode == 2 and "2011" in r.stderr
    r = cli(workspace, "cancel", run_id, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["run_id"] == run_id
    out, err = follower.communicate(timeout=30)
    assert follower.returncode == 1 and "cancelled" in err


def test_validate(server_bin, workspace):
    (workspace / "backtest-rpc.json").write_text(json.dumps(
        {"profiles": {"extras": {"files": {"extras.csv": {"columns": ["a"]}}}}}))
    bad = run_to_end(workspace, "scripts/defective.py", "defect=empty_trades")["run_id"]
    r = cli(workspace, "validate", bad, "--json")
    assert r.returncode == 1
    report = json.loads(r.stdout)
    reported = report["issues"]
    assert len(reported) == len(report["errors"]) + len(report["warnings"])
    assert report["errors"] and report["warnings"]  # both severities, and findings without a line

    r = cli(workspace, "validate", bad)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    n_err, n_warn = len(report["errors"]), len(report["warnings"])
    assert lines[0].startswith(f"[{bad}] validation: NOT valid: {n_err} errors, {n_warn} warning")
    assert "profile backtest" in lines[0] and "files in " in lines[0]
    assert lines[1:] == finding_lines(r.stdout)
    assert len(lines[1:]) == len(set(lines[1:])) == len(reported)  # each finding once
    for line, issue in zip(lines[1:], reported):
        assert line.startswith(f"{issue['file']}: {issue['severity']}: ") and line.endswith(f"[{issue['rule']}]")
        assert line.count(issue["file"]) == 1  # the location is not repeated from the message
    assert sum(": warning: " in ln for ln in lines) == n_warn

    good = run_to_end(workspace, "scripts/binary_outputs.py", "blob_bytes=1000")["run_id"]
    r = cli(workspace, "validate", good)
    assert r.returncode == 0 and r.stdout.splitlines() == [f"[{good}] validation: valid: 0 errors, 0 warnings "
                                                           "(profile backtest)"]
    r = cli(workspace, "validate", good, "--profile", "extras")
    assert r.returncode == 1
    assert r.stdout.splitlines()[1] == "extras.csv: error: missing: the profile requires this file [extras.exists]"
    r = cli(workspace, "validate", good, "--profile", "nope")
    assert r.returncode == 2 and "2009" in r.stderr


def test_compare(server_bin, workspace):
    a = run_to_end(workspace, "scripts/binary_outputs.py", "blob_bytes=1000", "--tag", "sweep")["run_id"]
    b = run_to_end(workspace, "scripts/binary_outputs.py", "blob_bytes=2000", "--tag", "sweep")["run_id"]
    run_to_end(workspace, "scripts/binary_outputs.py", "blob_bytes=3000")  # not tagged

    r = cli(workspace, "compare", a, b)
    assert r.returncode == 0, r.stderr
    rows = [ln.split() for ln in r.stdout.splitlines()]
    assert rows[0] == ["run_id", a, b]  # runs side by side, in the order given
    by_field = {row[0]: row[1:] for row in rows[1:]}
    assert by_field["param.blob_bytes"] == ["1000", "2000"]
    # The script's own summary.csv rows are summary.<name>, the server's analytics metrics.<name>.
    assert by_field["status"] == ["completed", "completed"] and "summary.total_pnl" in by_field
    assert "metrics.sharpe" in by_field and "total_pnl" not in by_field

    r = cli(workspace, "compare", "--tag", "sweep", "--csv")
    assert r.returncode == 0, r.stderr
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {t["run_id"] for t in table} == {a, b} and "summary.total_pnl" in table[0]

    r = cli(workspace, "compare", a, b, "--json")
    doc = json.loads(r.stdout)
    assert [row["run_id"] for row in doc["rows"]] == [a, b] and "param.blob_bytes" in doc["columns"]

    assert cli(workspace, "compare", a, "--tag", "sweep").returncode == 2  # ids or filters, not both
    assert cli(workspace, "compare", a, b, "--csv", "--json").returncode == 2


def test_results_and_read(server_bin, workspace, tmp_path):
    record = run_to_end(workspace, "scripts/binary_outputs.py")  # blob.bin: 2.5 MiB, three read chunks
    run_id, out_dir = record["run_id"], Path(record["output_dir"])

    r = cli(workspace, "results", run_id)
    assert r.returncode == 0, r.stderr
    rows = {ln.split()[0]: ln.split()[1] for ln in r.stdout.splitlines()[1:-1]}
    assert rows["blob.bin"] == str((out_dir / "blob.bin").stat().st_size) and "trades.csv" in rows
    assert r.stdout.splitlines()[-1] == f"({len(rows)} files in {out_dir})"
    files = json.loads(cli(workspace, "results", run_id, "--json").stdout)["files"]
    assert {f["path"] for f in files} == set(rows)

    blob = (out_dir / "blob.bin").read_bytes()
    assert len(blob) > 2 * 1024 * 1024 and b"\x00" in blob and b"\r\n" in blob
    r = cli(workspace, "read", run_id, "blob.bin", binary=True)  # to stdout, byte for byte
    assert r.returncode == 0 and r.stdout == blob

    target = tmp_path / "got" / "trades.csv"
    target.parent.mkdir()
    r = cli(workspace, "read", run_id, "trades.csv", "-o", str(target))
    assert r.returncode == 0 and target.read_bytes() == (out_dir / "trades.csv").read_bytes()
    assert "written to" in r.stderr and r.stdout == ""

    r = cli(workspace, "read", run_id, "nope.csv", "-o", str(tmp_path / "got" / "nope.csv"))
    assert r.returncode == 2 and "2008" in r.stderr
    assert sorted(p.name for p in target.parent.iterdir()) == ["trades.csv"]  # nothing half written
    r = cli(workspace, "read", run_id, "../run.json")
    assert r.returncode == 2 and "2007" in r.stderr


def test_report(server_bin, workspace, tmp_path):
    run_id = run_to_end(workspace, "scripts/binary_outputs.py", "blob_bytes=1000")["run_id"]
    r = cli(workspace, "report", run_id, "--no-open")
    assert r.returncode == 0, r.stderr
    path = Path(r.stdout.strip())
    assert path.is_file() and path.name == "report.html" and "<html" in path.read_text().lower()
    doc = json.loads(cli(workspace, "report", run_id, "--no-open", "--json").stdout)
    assert doc == {"run_id": run_id, "path": str(path)}

    # The system opener (a stand-in on PATH) gets the report's path, unless --no-open.
    fake = tmp_path / "bin"
    fake.mkdir()
    opened = tmp_path / "opened"
    for name in ("xdg-open", "open"):
        (fake / name).write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{opened}"\n')
        (fake / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}{os.pathsep}{os.environ['PATH']}")
    r = cli(workspace, "report", run_id, "--no-open", env=env)
    assert r.returncode == 0 and not opened.exists()
    r = cli(workspace, "report", run_id, env=env)
    assert r.returncode == 0 and r.stdout.strip() == str(path), r.stderr
    assert opened.read_text().splitlines() == [str(path)]

    r = cli(workspace, "report", "19990101_000000_000", "--no-open")
    assert r.returncode == 2 and "2001" in r.stderr


def test_rerun(server_bin, workspace):
    first = run_to_end(workspace, "scripts/binary_outputs.py", "blob_bytes=1000")["run_id"]
    r = cli(workspace, "rerun", first)
    assert r.returncode == 0, r.stderr
    second = r.stdout.strip()
    assert second and second != first

    r = cli(workspace, "rerun", first, "--follow")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "writing outputs and blob.bin"  # the log, as for run --follow
    assert f"started: rerun of {first}" in r.stderr
    assert "validation: valid: 0 errors, 0 warnings" in r.stderr.splitlines()[-1]

    r = cli(workspace, "rerun", first, "--follow", "--json")
    record = json.loads(r.stdout)
    assert r.returncode == 0 and record["status"] == "completed" and record["rerun_of"] == first
    assert record["params"] == {"blob_bytes": 1000}


@pytest.mark.parametrize("args", [["run", "x.py", "=1"], ["compare", "--limit", "x"], ["read", "only_a_run_id"]])
def test_usage_errors_exit_2(server_bin, workspace, args):
    assert cli(workspace, *args).returncode == 2
