"""``python -m backtest_rpc`` against the real server: every subcommand."""
import csv
import io
import json
import os
import signal
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


# ---- sweep, delete, tag --------------------------------------------------------------------------------

SWEEP = ["sweep", "sma_crossover.py", "fast=2,3,5", "slow=4,10", "days=40"]


def records_on_disk(workspace, run_ids):
    return {r: json.loads((workspace / "backtests" / r / "run.json").read_text()) for r in run_ids}


def test_sweep_prints_progress_then_the_ranked_runs(server_bin, workspace):
    r = cli(workspace, *SWEEP, "--rank-by", "metrics.sharpe", "--cache", "refresh", timeout=180)
    assert r.returncode == 1, r.stderr  # fast=5 slow=4 fails: not every run completed
    err = r.stderr.splitlines()
    sweep_id = err[0].split("]")[0].lstrip("[")
    assert err[0] == f"[{sweep_id}] started: 6 runs of sma_crossover.py"
    progress = [ln for ln in err[1:] if ln.startswith(f"[{sweep_id}] ")]
    assert len(progress) >= 2 and progress == err[1:]  # one line per change, nothing else
    assert progress[-1].startswith(f"[{sweep_id}] 6/6 ended (5 completed, 1 failed), 0 running, 0 queued; "
                                   "best metrics.sharpe ")
    lines = r.stdout.splitlines()
    header = lines[0].split()
    assert header == ["run_id", "status", "params.fast", "params.slow", "metrics.sharpe", "metrics.total_return",
                      "metrics.max_drawdown", "metrics.trades"]  # days is the same for all: not shown
    rows = [ln.split() for ln in lines[1:-1]]
    assert lines[-1].startswith("(6/6 ended (5 completed, 1 failed)")
    ids = [row[0] for row in rows]
    disk = records_on_disk(workspace, ids)
    assert {d["sweep_id"] for d in disk.values()} == {sweep_id}
    completed = [i for i in ids if disk[i]["status"] == "completed"]
    assert completed == sorted(completed, key=lambda i: -disk[i]["metrics"]["sharpe"])  # best first
    assert rows[-1][1] == "failed" and rows[-1][2:4] == ["5", "4"]
    assert len(rows[-1]) == 4  # a failed run has no metrics

    # --json: the final status and every run's row, ranked; stdout holds only that.
    r = cli(workspace, *SWEEP, "--rank-by", "metrics.max_drawdown", "--json", timeout=180)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["total"], doc["completed"], doc["failed"], doc["rank_by"]) == (6, 5, 1, "metrics.max_drawdown")
    dd = [row["metrics.max_drawdown"] for row in doc["rows"] if row["status"] == "completed"]
    assert dd == sorted(dd, reverse=True) and doc["best"]["run_id"] == doc["rows"][0]["run_id"]
    disk = records_on_disk(workspace, [row["run_id"] for row in doc["rows"]])
    for row in doc["rows"]:
        d = disk[row["run_id"]]
        assert row["params.fast"] == d["params"]["fast"] and row["status"] == d["status"]
        # The cache ("reuse", the sweep default) answered the completed runs from the first sweep's.
        assert (d.get("cached_from") is not None) == (d["status"] == "completed")
        if d["status"] == "completed":
            assert all(row[f"metrics.{k}"] == v for k, v in d["metrics"].items())

    # status and cancel take a sweep id too.
    r = cli(workspace, "status", doc["sweep_id"])
    assert r.returncode == 1  # a run failed
    assert f"sweep_id          {doc['sweep_id']}" in r.stdout and "runs              6/6 ended" in r.stdout
    status = json.loads(cli(workspace, "status", doc["sweep_id"], "--json").stdout)
    assert {k: status[k] for k in ("total", "completed", "failed", "best")} == {
        k: doc[k] for k in ("total", "completed", "failed", "best")}
    r = cli(workspace, "cancel", doc["sweep_id"], "--json")  # nothing left to cancel
    assert r.returncode == 0 and json.loads(r.stdout)["cancelled"] == 0
    r = cli(workspace, "status", "sweep_19990101_000000_000")
    assert r.returncode == 2 and "2013" in r.stderr


def test_sweep_param_sets_file(server_bin, workspace, tmp_path):
    sets = tmp_path / "sets.json"
    sets.write_text(json.dumps([{"fast": 2, "slow": 10}, {"fast": 3, "slow": 12}]))
    r = cli(workspace, "sweep", "sma_crossover.py", "days=40", "--param-sets", str(sets), "--json",
            "--rank-by", "params.slow asc", timeout=180)
    assert r.returncode == 0, r.stderr  # every run completed
    doc = json.loads(r.stdout)
    assert [(row["params.fast"], row["params.slow"]) for row in doc["rows"]] == [(2, 10), (3, 12)]
    assert all(row["params.days"] == 40 for row in doc["rows"])


def test_interrupting_a_sweep_cancels_it(server_bin, workspace):
    proc = subprocess.Popen([sys.executable, "-m", "backtest_rpc", "--workspace", str(workspace), "sweep",
                             "scripts/hang.py", "n=1,2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()
    sweep_id = first.split("]")[0].lstrip("[")
    for line in proc.stderr:  # wait until a run is running
        if " 1 running" in line or " 2 running" in line:
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted: cancelling" in err
    status = json.loads(cli(workspace, "status", sweep_id, "--json").stdout)
    assert (status["cancelled"], status["queued"], status["running"]) == (2, 0, 0)


def test_delete_and_tag(server_bin, workspace):
    run_id = run_to_end(workspace, "sma_crossover.py", "days=30", "fast=2", "slow=5", "--tag", "old")["run_id"]
    r = cli(workspace, "tag", run_id, "--add", "keep", "--add", "best", "--remove", "old", "--note", "looks good")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{run_id} tags: keep, best; note: looks good"
    record = json.loads(cli(workspace, "tag", run_id, "--remove", "best", "--no-note", "--json").stdout)
    assert record["tags"] == ["keep"] and record["note"] is None
    assert json.loads(cli(workspace, "list", "--tag", "keep", "--json").stdout)["runs"][0]["run_id"] == run_id
    assert cli(workspace, "tag", run_id).returncode == 2  # nothing to do
    assert cli(workspace, "tag", run_id, "--note", "a", "--no-note").returncode == 2
    r = cli(workspace, "tag", "19990101_000000_000", "--add", "x")
    assert r.returncode == 2 and "2001" in r.stderr

    r = cli(workspace, "run", "scripts/hang.py")
    hanging = r.stdout.strip()
    follower = subprocess.Popen([sys.executable, "-m", "backtest_rpc", "--workspace", str(workspace), "logs",
                                 hanging, "-f"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert follower.stdout.readline().startswith("hang.py pid=")  # running
    r = cli(workspace, "delete", run_id, hanging)
    assert r.returncode == 2 and f"still queued or running (cancel them first): {hanging}" in r.stderr
    assert (workspace / "backtests" / run_id).is_dir()  # nothing deleted
    r = cli(workspace, "tag", hanging, "--add", "x")
    assert r.returncode == 2 and "2011" in r.stderr  # only an ended run's tags change
    cli(workspace, "cancel", hanging)
    follower.communicate(timeout=30)

    r = cli(workspace, "delete", run_id, hanging)
    assert r.returncode == 0 and r.stdout.split() == [run_id, hanging] and "deleted 2 runs" in r.stderr
    assert not (workspace / "backtests" / run_id).exists()
    assert cli(workspace, "status", run_id).returncode == 2

    doc = json.loads(cli(workspace, "sweep", "sma_crossover.py", "fast=2,3", "slow=10", "days=30", "--json",
                         timeout=180).stdout)
    r = cli(workspace, "delete", "--sweep", doc["sweep_id"], "--json")
    assert r.returncode == 0 and sorted(json.loads(r.stdout)["deleted"]) == sorted(
        row["run_id"] for row in doc["rows"])
    assert cli(workspace, "delete").returncode == 2
    assert cli(workspace, "delete", run_id, "--sweep", doc["sweep_id"]).returncode == 2


@pytest.mark.parametrize("args", [["sweep", "x.py"], ["sweep", "x.py", "days=1"], ["sweep", "x.py", "a=1,2", "a=3,4"],
                                  ["sweep", "x.py", "a=1,2", "--rank-by", "sharpe"],
                                  ["sweep", "x.py", "a=1,2", "--seed", "3"],
                                  ["sweep", "x.py", "--param-sets", "/nonexistent.json"],
                                  ["sweep", "x.py", "a=1,2", "--cache", "sometimes"]])
def test_sweep_usage_errors_exit_2(server_bin, workspace, args):
    r = cli(workspace, *args)
    assert r.returncode == 2 and "error" in r.stderr
