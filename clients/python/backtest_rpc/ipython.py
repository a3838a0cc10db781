"""IPython / Jupyter extension: ``%load_ext backtest_rpc.ipython``, then

    %backtest run script.py key=value ...   stream the log into the cell, show progress, then the metrics
                                            (summary.csv) as a table and the equity curve (pnl.csv) as SVG
    %backtest sweep script.py fast=5,10,20 slow=50,100 [days=60] [--rank-by metrics.sharpe] [--cache M]
                  [--top N] [--param-sets FILE]
                                            run the script over the grid: a live table of the best runs so
                                            far, then every run ranked and the equity curves of the best N (5)
    %backtest list [N]                      the latest runs as a table
    %backtest status ID                     one run's record as a table
    %backtest compare ID ID ...             the server's comparison table
    %backtest logs ID [N]                   the last N (default 100) log lines
    %backtest cancel ID
    %backtest workspace [DIR]               show or change the workspace (restarts the server)

One server per kernel, started on first use with the workspace $BACKTEST_WORKSPACE or the kernel's current
directory, and closed with the kernel (atexit) or on ``%unload_ext``. Interrupting ``%backtest run``
(the stop button) cancels the run, and ``%backtest sweep`` its sweep. The last run's handle is left in the
namespace as ``_backtest``, the last sweep's as ``_sweep`` (``_sweep.results()``: a DataFrame).
"""
from __future__ import annotations

import atexit
import csv
import io
import json
import os
import shlex
import sys
import threading
from typing import Any, Dict, List, Optional, Tuple

from .client import Client
from .errors import BacktestError
from .grid import parse_grid
from .handle import RunHandle
from .progress import NotebookProgress
from .ranking import RankKey
from .render import ISSUE_COLUMNS, RUN_COLUMNS, equity_svg, html_table, issue_rows, parse_assignments, run_rows
from .sweep import SweepHandle
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


_SWEEP_USAGE = ("usage: %backtest sweep SCRIPT name=v1,v2,... [name=v ...] [--rank-by FIELD] [--cache M] "
                "[--top N] [--param-sets FILE]")
_SWEEP_OPTIONS = ("--rank-by", "--cache", "--top", "--param-sets")


def _sweep_words(args: List[str]) -> Tuple[str, Dict[str, Any], int]:
    """The script, the ``sweep`` call's arguments and how many curves to draw, from the magic's words."""
    options: Dict[str, str] = {}
    words: List[str] = []
    it = iter(args)
    for word in it:
        name, eq, value = word.partition("=")
        if name in _SWEEP_OPTIONS:
            if not eq:
                value = next(it, "")
            if not value:
                raise UsageError(f"{name} needs a value\n{_SWEEP_USAGE}")
            options[name] = value
        elif word.startswith("--"):
            raise UsageError(f"unknown option {word}\n{_SWEEP_USAGE}")
        else:
            words.append(word)
    if not words:
        raise UsageError(_SWEEP_USAGE)
    grid, fixed = parse_grid(words[1:])
    param_sets = None
    if "--param-sets" in options:
        with open(os.path.expanduser(options["--param-sets"]), encoding="utf-8") as f:
            param_sets = json.load(f)
    if not grid and param_sets is None:
        raise UsageError(f"vary at least one param (name=v1,v2,...) or give --param-sets\n{_SWEEP_USAGE}")
    rank_by = options.get("--rank-by")
    if rank_by is not None:
        RankKey.parse(rank_by)
    if options.get("--cache", "reuse") not in ("reuse", "refresh", "off"):
        raise UsageError("--cache is reuse, refresh or off")
    request = {"grid": grid or None, "param_sets": param_sets, "params": fixed or None, "rank_by": rank_by,
               "cache": options.get("--cache")}
    return words[0], request, int(options.get("--top", "5"))


def _sweep(args: List[str], user_ns: Optional[dict]) -> Optional[SweepHandle]:
    script, request, top = _sweep_words(args)
    from .sweep_view import show_sweep  # needs IPython: only in a kernel
    handle = get_client().sweep(script, **request)
    if user_ns is not None:
        user_ns["_sweep"] = handle
    print(f"sweep {handle.sweep_id}: {handle.total} runs of {script}", flush=True)
    show_sweep(handle, top=top)
    return handle


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
        elif cmd == "sweep":
            _sweep(args, local_ns)
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
            raise UsageError(f"unknown subcommand {cmd!r}: run, sweep, list, status, compare, logs, cancel, "
                             "workspace")
    except (UsageError, BacktestError, ValueError, OSError) as exc:
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
