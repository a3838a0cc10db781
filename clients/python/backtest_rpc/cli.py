"""Command-line client: ``python -m backtest_rpc`` (also installed as ``backtest-rpc-py``).

    backtest-rpc-py [--workspace W] [--server CMD] run script.py key=value ... [--follow] [--tag T] [--json]
    backtest-rpc-py list [--status S] [--script P] [--tag T] [--limit N] [--json]
    backtest-rpc-py status ID [--json]
    backtest-rpc-py logs ID [-n N] [-f]
    backtest-rpc-py cancel ID

Exit codes: 0 ok (for ``run --follow``/``logs -f``: the run completed), 1 the run did not complete,
2 usage or server error, 130 interrupted (``run --follow`` cancels its run on Ctrl+C).
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import List, Optional

from .client import Client
from .errors import BacktestError
from .handle import RunHandle
from .render import RUN_COLUMNS, parse_assignments, run_rows, text_table
from .types import LogEvent, StatusEvent

__all__ = ["main", "COMMANDS"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="backtest-rpc-py", description="Run and follow backtests via backtest-rpc.")
    p.add_argument("--workspace", "-w", default=None, help="workspace directory (default: current directory)")
    p.add_argument("--server", default=None,
                   help="command that starts the server (default: $BACKTEST_RPC_BIN or backtest-rpc on PATH)")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="start a run")
    r.add_argument("script")
    r.add_argument("params", nargs="*", help="key=value (values parse as JSON when they can)")
    r.add_argument("--follow", "-f", action="store_true", help="stream the log until the run ends")
    r.add_argument("--tag", action="append", dest="tags", help="tag the run (repeatable)")
    r.add_argument("--note", default=None)
    r.add_argument("--timeout", type=float, default=None, dest="timeout_s", help="seconds before it is ended")
    r.add_argument("--profile", default=None, help="validation profile")
    r.add_argument("--json", action="store_true", help="print the answer (or final record) as JSON")

    ls = sub.add_parser("list", help="list runs")
    ls.add_argument("--status", action="append", default=None)
    ls.add_argument("--script", default=None)
    ls.add_argument("--tag", default=None)
    ls.add_argument("--limit", type=int, default=None)
    ls.add_argument("--json", action="store_true")

    st = sub.add_parser("status", help="show a run's record")
    st.add_argument("run_id")
    st.add_argument("--json", action="store_true")

    lg = sub.add_parser("logs", help="print a run's log")
    lg.add_argument("run_id")
    lg.add_argument("-n", "--tail", type=int, default=None, help="only the last N lines")
    lg.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")

    c = sub.add_parser("cancel", help="cancel a run")
    c.add_argument("run_id")
    return p


def _print_line(text: str) -> None:
    sys.stdout.write(text + "\n")


def _stream(handle: RunHandle, *, skip_until: Optional[int] = None) -> StatusEvent:
    """Prints the run's lines as they arrive (status changes on stderr); returns the final status."""
    final: Optional[StatusEvent] = None
    for ev in handle.events():
        if isinstance(ev, LogEvent):
            for ln in ev.lines:
                if skip_until is None or ln.seq >= skip_until:
                    _print_line(ln.text)
            sys.stdout.flush()
        elif isinstance(ev, StatusEvent):
            msg = f"[{handle.run_id}] {ev.status}"
            if ev.failure:
                msg += f" ({ev.failure})"
            if ev.error_message:
                msg += f": {ev.error_message}"
            print(msg, file=sys.stderr, flush=True)
            if ev.terminal:
                final = ev
    assert final is not None
    return final


def _cmd_run(client: Client, a: argparse.Namespace) -> int:
    handle = client.run(a.script, parse_assignments(a.params) or None, tags=a.tags, note=a.note,
                        timeout_s=a.timeout_s, profile=a.profile)
    if not a.follow:
        if a.json:
            print(json.dumps({"run_id": handle.run_id, "status": handle.status, "run_dir": handle.run_dir,
                              "output_dir": handle.output_dir}))
        else:
            print(handle.run_id)
        return 0
    print(f"[{handle.run_id}] started: {a.script}", file=sys.stderr, flush=True)
    try:
        final = _stream(handle)
    except KeyboardInterrupt:
        # Ctrl+C means "stop this backtest", as it would for a script started in the terminal.
        print(f"\n[{handle.run_id}] interrupted: cancelling", file=sys.stderr, flush=True)
        try:
            handle.cancel()
        except BacktestError:
            pass
        return 130
    if a.json:
        print(json.dumps(handle.record().to_dict()))
    return 0 if final.status == "completed" else 1


def _cmd_list(client: Client, a: argparse.Namespace) -> int:
    status = a.status[0] if a.status and len(a.status) == 1 else a.status
    page = client.list(status=status, script=a.script, tag=a.tag, limit=a.limit)
    if a.json:
        print(json.dumps({"total": page.total, "runs": [r.to_dict() for r in page.runs]}))
        return 0
    print(text_table(RUN_COLUMNS, run_rows(page.runs)))
    if page.total > len(page.runs):
        print(f"({len(page.runs)} of {page.total} runs)")
    return 0


def _cmd_status(client: Client, a: argparse.Namespace) -> int:
    record = client.status(a.run_id)
    if a.json:
        print(json.dumps(record.to_dict()))
        return 0
    for key, value in record.to_dict().items():
        if key == "validation" and isinstance(value, dict):
            value = f"valid={value.get('valid')} errors={len(value.get('errors') or [])} " \
                    f"warnings={len(value.get('warnings') or [])}"
        if value not in (None, [], {}):
            print(f"{key:17} {value if isinstance(value, str) else json.dumps(value)}")
    return 0 if record.status != "failed" else 1


def _cmd_logs(client: Client, a: argparse.Namespace) -> int:
    if not a.follow:
        if a.tail is not None:
            page = client.logs(a.run_id, tail=a.tail)
            for ln in page.lines:
                _print_line(ln.text)
            return 0
        after: Optional[int] = None
        while True:
            page = client.logs(a.run_id, after_seq=after, limit=1000)
            for ln in page.lines:
                _print_line(ln.text)
            if len(page.lines) < 1000:
                return 0
            after = page.lines[-1].seq
    handle = client.follow(a.run_id)
    skip = None
    if a.tail is not None:
        total = client.logs(a.run_id, tail=1).total_lines
        skip = max(0, total - a.tail)
    try:
        final = _stream(handle, skip_until=skip)
    except KeyboardInterrupt:
        return 130  # following is only watching: the run goes on
    return 0 if final.status == "completed" else 1


def _cmd_cancel(client: Client, a: argparse.Namespace) -> int:
    record = client.cancel(a.run_id)
    print(f"{record.run_id} {record.status}")
    return 0


COMMANDS = {"run": _cmd_run, "list": _cmd_list, "status": _cmd_status, "logs": _cmd_logs,
            "cancel": _cmd_cancel}


def main(argv: Optional[List[str]] = None) -> int:
    a = _parser().parse_args(argv)
    command = shlex.split(a.server) if a.server else None
    try:
        with Client(a.workspace or ".", command) as client:
            return COMMANDS[a.command](client, a)
    except BacktestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
