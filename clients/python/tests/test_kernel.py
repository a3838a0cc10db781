"""``%backtest`` through a real Jupyter kernel (ipykernel started by jupyter_client), checked on the
iopub messages a notebook front end would render."""
import json
import os
import time

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")


def execute(kc, code, timeout=90):
    """Runs ``code``; returns (iopub messages of it, the execute reply)."""
    msg_id = kc.execute(code)
    msgs = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        msgs.append(msg)
    reply = kc.get_shell_msg(timeout=10)
    return msgs, reply


def streams(msgs, name="stdout"):
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == name)


def displays(msgs, mime):
    return [m["content"]["data"][mime] for m in msgs
            if m["msg_type"] in ("display_data", "update_display_data", "execute_result")
            and mime in m["content"]["data"]]


@pytest.fixture
def kernel(server_bin, workspace):
    from jupyter_client import KernelManager
    km = KernelManager(kernel_name="python3")
    env = dict(os.environ, BACKTEST_RPC_BIN=server_bin)
    km.start_kernel(cwd=str(workspace), env=env)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    yield km, kc
    kc.stop_channels()
    if km.is_alive():
        km.shutdown_kernel(now=True)


def test_backtest_magic_in_a_kernel(kernel, workspace):
    km, kc = kernel
    msgs, reply = execute(kc, "%load_ext backtest_rpc.ipython")
    assert reply["content"]["status"] == "ok", msgs

    msgs, reply = execute(kc, "%backtest run scripts/strategy_analyzer.py start_date=2024-01-01 "
                              "end_date=2024-01-31 trades=40")
    assert reply["content"]["status"] == "ok"
    out = streams(msgs)
    assert "Starting backtest" in out and "Processing day 23/23" in out, out + streams(msgs, "stderr")
    # The log arrived as it ran, in several stream messages, not as one block at the end.
    assert sum(1 for m in msgs if m["msg_type"] == "stream") >= 2
    html = displays(msgs, "text/html")
    assert any("<progress" in h for h in html)  # the live progress bar
    assert any("total_pnl" in h and "<table" in h for h in html), html  # summary.csv as a table
    svgs = displays(msgs, "image/svg+xml")
    assert svgs and "<polyline" in svgs[-1]  # the equity curve

    msgs, _ = execute(kc, "print(_backtest.run_id)")
    run_id = streams(msgs).strip()
    assert run_id

    msgs, _ = execute(kc, "%backtest list")
    assert any(run_id in h and "completed" in h for h in displays(msgs, "text/html"))
    msgs, _ = execute(kc, f"%backtest status {run_id}")
    assert any("strategy_analyzer.py" in h for h in displays(msgs, "text/html"))

    # One server per kernel: a second magic reuses it.
    msgs, _ = execute(kc, "import backtest_rpc.ipython as _m; print(_m._client.conn.transport.pid)")
    pid = int(streams(msgs).strip())
    msgs, _ = execute(kc, "%backtest run scripts/crash.py")
    assert "ERROR: simulated failure" in streams(msgs)
    assert any("failed" in h for h in displays(msgs, "text/html"))
    msgs, _ = execute(kc, "print(_m._client.conn.transport.pid)")
    assert int(streams(msgs).strip()) == pid

    # Validation findings as a table: one row per finding the server reported (each comes twice in its
    # report: as a string and as a structured issue).
    msgs, _ = execute(kc, "%backtest run scripts/defective.py defect=empty_trades")
    tables = [h for h in displays(msgs, "text/html") if "<caption>validation</caption>" in h]
    assert len(tables) == 1, displays(msgs, "text/html")
    msgs, _ = execute(kc, "import json; print(json.dumps(_backtest.record().validation))")
    report = json.loads(streams(msgs))
    reported = report["issues"]
    assert reported and len(reported) == len(report["errors"]) + len(report["warnings"])
    body = tables[0].split("<tbody>", 1)[1]
    assert body.count("<tr>") == len(reported)
    assert tables[0].count("<th>") == 5 and "<th>rule</th>" in tables[0]
    for issue in reported:
        assert f"<td>{issue['rule']}</td>" in body

    msgs, _ = execute(kc, f"%backtest compare {run_id} {run_id}")
    if "method not found" not in streams(msgs, "stderr"):
        assert any(run_id in h for h in displays(msgs, "text/html")), streams(msgs, "stderr")

    # Closed with the kernel.
    km.shutdown_kernel(now=False)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False



def test_backtest_sweep_magic_in_a_kernel(kernel, workspace):
    km, kc = kernel
    msgs, reply = execute(kc, "%load_ext backtest_rpc.ipython")
    assert reply["content"]["status"] == "ok", msgs

    sweep_msgs, reply = execute(kc, "%backtest sweep sma_crossover.py fast=2,3,5 slow=4,10 days=40 capital=500000 "
                                    "--rank-by metrics.sharpe --top 3", timeout=180)
    assert reply["content"]["status"] == "ok"
    out = streams(sweep_msgs)
    assert out.startswith("sweep sweep_") and "6 runs of sma_crossover.py" in out, (
        out + streams(sweep_msgs, "stderr"))
    sweep_id = out.split()[1].rstrip(":")
    # One table, shown once and updated in place as runs end; its last state lists every run, ranked.
    shown = [m for m in sweep_msgs if m["msg_type"] == "display_data" and "text/html" in m["content"]["data"]]
    updates = [m for m in sweep_msgs if m["msg_type"] == "update_display_data"]
    assert len(shown) == 1 and updates
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert all(m["content"]["transient"]["display_id"] == display_id for m in updates)
    final = updates[-1]["content"]["data"]["text/html"]
    assert f"sweep {sweep_id}: 6/6 ended (5 completed, 1 failed)" in final
    assert "<th>params.fast</th><th>params.slow</th><th>metrics.sharpe</th>" in final

    msgs, _ = execute(kc, "import json; print(json.dumps(_sweep.rows()))")
    rows = json.loads(streams(msgs))
    positions = [final.index(f"<td>{r['run_id']}</td>") for r in rows]
    assert positions == sorted(positions)  # the table's order is the ranking's
    sharpe = [r["metrics.sharpe"] for r in rows if r["status"] == "completed"]
    assert sharpe == sorted(sharpe, reverse=True) and rows[-1]["status"] == "failed"

    # One chart: the equity curves of the 3 best runs (no matplotlib in the test venv: SVG), equity being
    # the capital given as a param + cumulative_pnl.
    svgs = displays(sweep_msgs, "image/svg+xml")
    assert len(svgs) == 1 and svgs[0].count("<polyline") == 3
    for r in rows[:3]:
        assert f"fast={r['params.fast']} slow={r['params.slow']} (sharpe {r['metrics.sharpe']:.3g})" in svgs[0]
    msgs, _ = execute(kc, "from backtest_rpc.sweep_view import equity_series; "
                          "print(json.dumps(equity_series(_sweep, _sweep.rows()[:3])))")
    series = json.loads(streams(msgs))
    assert len(series) == 3
    for r, (label, points) in zip(rows, series):
        pnl = (workspace / "backtests" / r["run_id"] / "results" / "pnl.csv").read_text().splitlines()[1:]
        assert points == [[d, 500000 + float(c)] for d, _, c in (ln.split(",") for ln in pnl)]

    msgs, _ = execute(kc, "%backtest sweep sma_crossover.py days=40")
    assert "vary at least one param" in streams(msgs, "stderr")
    msgs, _ = execute(kc, "%backtest sweep sma_crossover.py fast=2,3 --rank-by sharpe")
    assert "rank_by 'sharpe'" in streams(msgs, "stderr")
