"""IPython / Jupyter extension: ``%load_ext backtest_rpc.ipython``, then

    %backtest run script.py key=value ...   stream the log into the cell, show progress, then the metrics
                                            (summary.csv) as a table and the equity curve (pnl.csv) as SVG
    %backtest list [N]                      the latest runs as a table
    %backtest status ID                     one run's record as a table
    %backtest compare ID ID ...             the server's comparison table
    %backtest logs ID [N]                   the last N (default 100) log lines
    %backtest cancel ID
    %backtest workspace [DIR]               show or change the workspace (restarts the server)

One server per kernel, started on first use with the workspace $BACKTEST_WORKSPACE or the kernel's current
directory, and closed with the kernel (atexit) or on ``%unload_ext``. Interrupting ``%backtest run``
(the stop button) cancels the run. The last run's handle is left in the namespace as ``_backtest``.
"""
from __future__ import annotations

import atexit
import csv
import io
import os
import shlex
import sys
import threading
from typing import Any, List, Optional

from .client import Client
from .errors import BacktestError
from .handle import RunHandle
from .progress import NotebookProgress
from .render import ISSUE_COLUMNS, RUN_COLUMNS, equity_svg, html_table, issue_rows, parse_assignments, run_rows
from .types import LogEvent, ProgressEvent, StatusEvent, ValidationReport

__all__ = ["load_ipython_extension", "unload_ipython_extension", "backtest", "get_client", "close_client",
           "equity_points", "UsageError"]

_client: Optional[Client] = None
_workspace: Optional[str] = None
_lock = threading.Lock()


def get_client() -> Client:
    """The kernel's one server, started on first use."""
    global _client
    with _lock:
        if _client is None or not _client.alive:
            ws = _workspace or os.environ.get("BACKTEST_WORKSPACE") or os.getcwd()
            _client = Client(ws, client_name="backtest_rpc-ipython")
        return _client


def close_client() -> None:
    """Ends the kernel's server; runs go on (they live apart from the server)."""
    global _client
    with _lock:
        if _client is not None:
            try:
                _client.close()
            finally:
                _client = None


def _display(obj: Any) -> None:
    from IPython.display import display
    display(obj)


def _html(text: str) -> None:
    from IPython.display import HTML
    _display(HTML(text))


# ---- subcommands -----------------------------------------------------------------------------------------

def _run(args: List[str], user_ns: Optional[dict]) -> Optional[RunHandle]:
    if not args:
        raise UsageError("usage: %backtest run SCRIPT [key=value ...]")
    client = get_client()
    handle = client.run(args[0], parse_assignments(args[1:]) or None)
    if user_ns is not None:
        user_ns["_backtest"] = handle
    print(f"run {handle.run_id}: {args[0]}", flush=True)
    bar = None
    try:
        bar = NotebookProgress()
    except Exception:
        bar = None  # plain IPython in a terminal: the log itself shows progress
    final: Optional[StatusEvent] = None
    try:
        for ev in handle.events():
            if isinstance(ev, LogEvent):
                sys.stdout.write("".join(ln.text + "\n" for ln in ev.lines))
                sys.stdout.flush()
            elif isinstance(ev, ProgressEvent) and bar is not None:
                bar.update(ev.fraction, ev.message)
            elif isinstance(ev, StatusEvent):
                final = ev if ev.terminal else final
                if bar is not None and not ev.terminal:
                    bar.update(None if ev.status != "validating" else 1.0, ev.status)
    except KeyboardInterrupt:
        print(f"\ninterrupted: cancelling run {handle.run_id}", flush=True)
        try:
            handle.cancel()
        except BacktestError:
            pass
        return handle
    assert final is not None
    summary = f"{final.status}" + (f" ({final.failure})" if final.failure else "")
    if bar is not None:
        bar.close(summary)
    _show_outcome(handle)
    return handle


def _show_outcome(handle: RunHandle) -> None:
    record = handle.record()
    head = (f"<b>run {record.run_id}</b>: {record.status}"
            + (f" ({record.failure})" if record.failure else "")
            + (f" in {record.duration_seconds:.2f} s" if record.duration_seconds is not None else ""))
    if record.error_message:
        import html as _h
        head += f"<br><code>{_h.escape(record.error_message)}</code>"
    _html(f"<div>{head}</div>")
    if record.validation:
        # Each finding once (the report carries it both as a string and as a structured issue).
        issues = ValidationReport.from_json(record.validation).issues()
        if issues:
            _html(html_table(ISSUE_COLUMNS, issue_rows(issues), caption="validation"))
    try:
        names = {f.path for f in handle.files()}
    except BacktestError:
        return
    if "summary.csv" in names:
        rows = list(csv.reader(io.StringIO(handle.read("summary.csv").decode("utf-8-sig"))))
        if rows:
            _html(html_table(rows[0], rows[1:], caption="summary.csv"))
    if "pnl.csv" in names:
        points = equity_points(handle.read("pnl.csv"))
        if points:
            from IPython.display import SVG
            _display(SVG(data=equity_svg(points, title=f"equity (cumulative pnl) — run {handle.run_id}")))


def equity_points(data: bytes) -> List[tuple]:
    """(date, cumulative_pnl) pairs from pnl.csv, skipping rows whose value is not a number."""
    out = []
    for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
        try:
            out.append((row.get("date", ""), float(row.get("cumulative_pnl") or "nan")))
        except ValueError:
            continue
    return [(d, v) for d, v in out if v == v]  # drop NaN


def _list(args: List[str]) -> None:
    limit = int(args[0]) if args else 20
    page = get_client().list(limit=limit)
    _html(html_table(RUN_COLUMNS, run_rows(page.runs), caption=f"{len(page.runs)} of {page.total} runs"))


def _status(args: List[str]) -> None:
    if len(args) != 1:
        raise UsageError("usage: %backtest status RUN_ID")
    record = get_client().status(args[0]).to_dict()
    _html(html_table(["field", "value"], [[k, v] for k, v in record.items() if v not in (None, [], {})],
                     caption=f"run {args[0]}"))


def _compare(args: List[str]) -> None:
    if not args:
        raise UsageError("usage: %backtest compare RUN_ID RUN_ID ...")
    table = get_client().compare(args)
    rows = [[r.get(c) for c in table.columns] for r in table.records()]
    _html(html_table(table.columns, rows, caption=f"compare {len(args)} runs"))


def _logs(args: List[str]) -> None:
    if not args:
        raise UsageError("usage: %backtest logs RUN_ID [N]")
    page = get_client().logs(args[0], tail=int(args[1]) if len(args) > 1 else 100)
    print("\n".join(ln.text for ln in page.lines))


def _cancel(args: List[str]) -> None:
    if len(args) != 1:
        raise UsageError("usage: %backtest cancel RUN_ID")
    record = get_client().cancel(args[0])
    print(f"{record.run_id}: {record.status}")


def _set_workspace(args: List[str]) -> None:
    global _workspace
    if args:
        _workspace = os.path.abspath(os.path.expanduser(args[0]))
        close_client()
    print(_workspace or os.environ.get("BACKTEST_WORKSPACE") or os.getcwd())


class UsageError(Exception):
    pass


def backtest(line: str, local_ns: Optional[dict] = None):
    """The ``%backtest`` line magic (see the module docstring)."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        print(f"%backtest: {exc}", file=sys.stderr)
        return None
    if not words:
        print(__doc__)
        return None
    cmd, args = words[0], words[1:]
    try:
        if cmd == "run":
            _run(args, local_ns)
        elif cmd == "list":
            _list(args)
        elif cmd == "status":
            _status(args)
        elif cmd == "compare":
            _compare(args)
        elif cmd == "logs":
            _logs(args)
        elif cmd == "cancel":
            _cancel(args)
        elif cmd == "workspace":
            _set_workspace(args)
        else:
            raise UsageError(f"unknown subcommand {cmd!r}: run, list, status, compare, logs, cancel, workspace")
    except (UsageError, BacktestError, ValueError) as exc:
        print(f"%backtest {cmd}: {exc}", file=sys.stderr)
    return None


def load_ipython_extension(ipython) -> None:
    def magic(line: str):
        return backtest(line, ipython.user_ns)
    magic.__doc__ = __doc__
    ipython.register_magic_function(magic, magic_kind="line", magic_name="backtest")
    atexit.register(close_client)


def unload_ipython_extension(ipython) -> None:
    close_client()
