"""Command-line client: ``python -m backtest_rpc`` (also installed as ``backtest-rpc-py``).

    backtest-rpc-py [--workspace W] [--server CMD] COMMAND ...

    run SCRIPT [key=value ...] [--follow] [--tag T] [--note N] [--timeout S] [--profile P] [--json]
    rerun RUN_ID [--follow] [--json]
    sweep SCRIPT name=v1,v2,... [name=v ...] [--rank-by F] [--cache M] [--param-sets FILE] [--sample N]
          [--seed S] [--tag T] [--note N] [--timeout S] [--profile P] [--json]
    list [--status S] [--script P] [--tag T] [--limit N] [--json]
    status RUN_ID|SWEEP_ID [--json]
    logs RUN_ID [-n N] [-f] [--json]
    cancel RUN_ID|SWEEP_ID [--json]
    delete RUN_ID ... | --sweep SWEEP_ID [--json]
    tag RUN_ID [--add T] [--remove T] [--note N | --no-note] [--json]
    validate RUN_ID [--profile P] [--json]
    compare [RUN_ID ...] [--status S] [--script P] [--tag T] [--limit N] [--csv | --json]
    results RUN_ID [--json]
    read RUN_ID PATH [-o FILE]
    report RUN_ID [--no-open] [--json]

``--json`` means the same for every command that has it: stdout holds only JSON (one document; for
``logs``, one object per log line), while log lines of ``run --follow`` and all status notes go to stderr.

Exit codes: 0 ok (``run --follow``/``rerun --follow``/``logs -f``: the run completed; ``sweep``: every run
completed; ``validate``: valid), 1 the run (a run of the sweep) did not complete / the outputs are not valid,
2 usage or server error, 130 interrupted (``run --follow`` cancels its run on Ctrl+C, ``sweep`` its sweep).
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Dict, List, Optional

from .client import Client
from .errors import BacktestError, RunsActive
from .grid import parse_grid
from .handle import RunHandle
from .ranking import RankKey
from .render import RUN_COLUMNS, cell, issue_line, parse_assignments, run_rows, sweep_columns, text_table
from .sweep import SweepHandle
from .types import LogEvent, StatusEvent, SweepProgress, SweepStatus, ValidationReport

__all__ = ["main", "COMMANDS", "open_path"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="backtest-rpc-py", description="Run and follow backtests via backtest-rpc.")
    p.add_argument("--workspace", "-w", default=None, help="workspace directory (default: current directory)")
    p.add_argument("--server", default=None,
                   help="command that starts the server (default: $BACKTEST_RPC_BIN or backtest-rpc on PATH)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # One --json for every command that prints a result: stdout then holds only JSON.
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true",
                         help="print only JSON on stdout (one document; logs: one object per line)")

    def filters(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--status", action="append", default=None, help="only runs in this status (repeatable)")
        sp.add_argument("--script", default=None, help="only runs of this script")
        sp.add_argument("--tag", default=None, help="only runs with this tag")
        sp.add_argument("--limit", type=int, default=None, help="at most N runs (newest first)")

    r = sub.add_parser("run", parents=[as_json], help="start a run")
    r.add_argument("script")
    r.add_argument("params", nargs="*", help="key=value (values parse as JSON when they can)")
    r.add_argument("--follow", "-f", action="store_true",
                   help="stream the log until the run ends, then show its validation")
    r.add_argument("--tag", action="append", dest="tags", help="tag the run (repeatable)")
    r.add_argument("--note", default=None)
    r.add_argument("--timeout", type=float, default=None, dest="timeout_s", help="seconds before it is ended")
    r.add_argument("--profile", default=None, help="validation profile")

    rr = sub.add_parser("rerun", parents=[as_json], help="run an ended run again (same script and params)")
    rr.add_argument("run_id")
    rr.add_argument("--follow", "-f", action="store_true",
                    help="stream the log until the run ends, then show its validation")

    sw = sub.add_parser("sweep", parents=[as_json],
                        help="run a script over a grid of params; live progress, then the runs ranked")
    sw.add_argument("script")
    sw.add_argument("params", nargs="*", metavar="name=v1,v2,...",
                    help="a name with several values is varied (the grid), one with one value is fixed; "
                         "values parse as JSON scalars when they can")
    sw.add_argument("--rank-by", default=None, metavar="FIELD",
                    help="what makes a run best: metrics.<name>, summary.<name> or params.<name> [asc]")
    sw.add_argument("--cache", choices=["reuse", "refresh", "off"], default=None,
                    help="reuse (the server's default): a run whose inputs match a completed run's is "
                         "answered from it")
    sw.add_argument("--param-sets", default=None, metavar="FILE",
                    help="a JSON file holding a list of param objects (crossed with the grid, if any)")
    sw.add_argument("--sample", type=int, default=None, metavar="N", help="run N sets drawn from the grid")
    sw.add_argument("--seed", type=int, default=None, help="the seed of --sample (the same seed, the same sets)")
    sw.add_argument("--tag", action="append", dest="tags", help="tag every run (repeatable)")
    sw.add_argument("--note", default=None)
    sw.add_argument("--timeout", type=float, default=None, dest="timeout_s", help="seconds before a run is ended")
    sw.add_argument("--profile", default=None, help="validation profile")

    ls = sub.add_parser("list", parents=[as_json], help="list runs")
    filters(ls)

    st = sub.add_parser("status", parents=[as_json], help="show a run's record, or a sweep's counts")
    st.add_argument("run_id", metavar="RUN_ID|SWEEP_ID")

    lg = sub.add_parser("logs", parents=[as_json], help="print a run's log")
    lg.add_argument("run_id")
    lg.add_argument("-n", "--tail", type=int, default=None, help="only the last N lines")
    lg.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")

    c = sub.add_parser("cancel", parents=[as_json], help="cancel a run, or every run of a sweep")
    c.add_argument("run_id", metavar="RUN_ID|SWEEP_ID")

    d = sub.add_parser("delete", parents=[as_json], help="delete ended runs (directories, index, cache entries)")
    d.add_argument("run_ids", nargs="*", metavar="RUN_ID")
    d.add_argument("--sweep", default=None, metavar="SWEEP_ID", help="every ended run of this sweep")

    tg = sub.add_parser("tag", parents=[as_json], help="edit an ended run's tags and note")
    tg.add_argument("run_id")
    tg.add_argument("--add", action="append", default=None, metavar="TAG", help="add a tag (repeatable)")
    tg.add_argument("--remove", action="append", default=None, metavar="TAG", help="remove a tag (repeatable)")
    notes = tg.add_mutually_exclusive_group()
    notes.add_argument("--note", default=None, help="the new note")
    notes.add_argument("--no-note", action="store_true", help="remove the note")

    v = sub.add_parser("validate", parents=[as_json], help="check a run's outputs now; exit 1 when not valid")
    v.add_argument("run_id")
    v.add_argument("--profile", default=None, help="validation profile (default: the run's)")

    cm = sub.add_parser("compare", parents=[as_json], help="runs side by side: params and metrics")
    cm.add_argument("run_ids", nargs="*", metavar="RUN_ID", help="these runs (else: the runs the filters select)")
    filters(cm)
    cm.add_argument("--csv", action="store_true", help="print the table as CSV")

    rs = sub.add_parser("results", parents=[as_json], help="list a run's result files")
    rs.add_argument("run_id")

    rd = sub.add_parser("read", help="download a result file (binary-safe; stdout by default)")
    rd.add_argument("run_id")
    rd.add_argument("path", help="relative to the run's results directory, e.g. trades.csv")
    rd.add_argument("-o", "--output", default=None, metavar="FILE", help="write to FILE instead of stdout")

    rp = sub.add_parser("report", parents=[as_json], help="write the run's HTML report, print its path, open it")
    rp.add_argument("run_id")
    rp.add_argument("--no-open", action="store_true", help="only print the path")
    return p


# ---- output helpers -------------------------------------------------------------------------------------

def _print_json(value: Any) -> None:
    print(json.dumps(value))


def _note(text: str) -> None:
    """A status note: on stderr, so stdout stays the command's output."""
    print(text, file=sys.stderr, flush=True)


def _stream(handle: RunHandle, *, skip_until: Optional[int] = None, out: Optional[IO[str]] = None,
            as_json: bool = False) -> StatusEvent:
    """Prints the run's lines as they arrive to ``out`` (stdout), status changes on stderr; returns the final
    status. ``as_json``: each line as a JSON object."""
    out = out or sys.stdout
    final: Optional[StatusEvent] = None
    for ev in handle.events():
        if isinstance(ev, LogEvent):
            for ln in ev.lines:
                if skip_until is None or ln.seq >= skip_until:
                    out.write((json.dumps(ln.to_dict()) if as_json else ln.text) + "\n")
            out.flush()
        elif isinstance(ev, StatusEvent):
            msg = f"[{handle.run_id}] {ev.status}"
            if ev.failure:
                msg += f" ({ev.failure})"
            if ev.error_message:
                msg += f": {ev.error_message}"
            _note(msg)
            if ev.terminal:
                final = ev
    assert final is not None
    return final


def validation_lines(report: ValidationReport, run_id: str, where: Optional[str] = None) -> List[str]:
    """A summary line, then each finding once (``file:line: severity: message [rule]``)."""
    issues = report.issues()
    n_err = sum(1 for i in issues if i.severity == "error")
    n_warn = len(issues) - n_err
    head = (f"[{run_id}] validation: {'valid' if report.valid else 'NOT valid'}: "
            f"{n_err} error{'' if n_err == 1 else 's'}, {n_warn} warning{'' if n_warn == 1 else 's'}")
    details = [f"profile {report.profile}"] if report.profile else []
    if issues and where:
        details.append(f"files in {where}")
    if details:
        head += f" ({'; '.join(details)})"
    return [head] + [issue_line(i) for i in issues]


def _follow_to_end(handle: RunHandle, a: argparse.Namespace) -> int:
    """``run --follow`` / ``rerun --follow``: the log, the status changes, then the validation's findings
    (each once) on stderr; with --json, the final record on stdout. 0 when the run completed."""
    try:
        final = _stream(handle, out=sys.stderr if a.json else sys.stdout)
    except KeyboardInterrupt:
        # Ctrl+C means "stop this backtest", as it would for a script started in the terminal.
        _note(f"\n[{handle.run_id}] interrupted: cancelling")
        try:
            handle.cancel()
        except BacktestError:
            pass
        return 130
    record = handle.record()
    if record.validation:
        report = ValidationReport.from_json(record.validation)
        for line in validation_lines(report, handle.run_id, record.output_dir):
            _note(line)
    if a.json:
        _print_json(record.to_dict())
    return 0 if (record.status or final.status) == "completed" else 1


def _started(handle: RunHandle, a: argparse.Namespace, what: str) -> int:
    if a.follow:
        _note(f"[{handle.run_id}] started: {what}")
        return _follow_to_end(handle, a)
    if a.json:
        _print_json({"run_id": handle.run_id, "status": handle.status, "run_dir": handle.run_dir,
                     "output_dir": handle.output_dir})
    else:
        print(handle.run_id)
    return 0


# ---- commands -------------------------------------------------------------------------------------------

def _cmd_run(client: Client, a: argparse.Namespace) -> int:
    try:
        params = parse_assignments(a.params)
    except ValueError as exc:
        raise _Usage(str(exc)) from None
    handle = client.run(a.script, params or None, tags=a.tags, note=a.note, timeout_s=a.timeout_s,
                        profile=a.profile)
    return _started(handle, a, a.script)


def _cmd_rerun(client: Client, a: argparse.Namespace) -> int:
    return _started(client.rerun(a.run_id), a, f"rerun of {a.run_id}")


def _status_filter(a: argparse.Namespace) -> Any:
    return a.status[0] if a.status and len(a.status) == 1 else a.status


def _cmd_list(client: Client, a: argparse.Namespace) -> int:
    page = client.list(status=_status_filter(a), script=a.script, tag=a.tag, limit=a.limit)
    if a.json:
        _print_json({"total": page.total, "runs": [r.to_dict() for r in page.runs]})
        return 0
    print(text_table(RUN_COLUMNS, run_rows(page.runs)))
    if page.total > len(page.runs):
        print(f"({len(page.runs)} of {page.total} runs)")
    return 0


def _is_sweep(some_id: str) -> bool:
    """Sweep ids are ``sweep_<stem>``; run ids start with a date."""
    return some_id.startswith("sweep_")


def _print_sweep_status(status: SweepStatus, a: argparse.Namespace) -> None:
    if a.json:
        _print_json(status.to_dict())
        return
    for key in ("sweep_id", "script", "created_at", "rank_by"):
        value = getattr(status, key)
        if value is not None:
            print(f"{key:17} {value}")
    print(f"{'runs':17} {status.describe()}")


def _cmd_status(client: Client, a: argparse.Namespace) -> int:
    if _is_sweep(a.run_id):
        status = client.sweep_status(a.run_id)
        _print_sweep_status(status, a)
        return 0 if not status.failed else 1
    record = client.status(a.run_id)
    if a.json:
        _print_json(record.to_dict())
        return 0
    for key, value in record.to_dict().items():
        if key == "validation" and isinstance(value, dict):
            counts = ValidationReport.from_json(value).counts()
            value = f"valid={value.get('valid')} errors={counts['error']} warnings={counts['warning']}"
        if value not in (None, [], {}):
            print(f"{key:17} {value if isinstance(value, str) else json.dumps(value)}")
    return 0 if record.status != "failed" else 1


def _cmd_logs(client: Client, a: argparse.Namespace) -> int:
    def emit(lines: List[Any]) -> None:
        for ln in lines:
            print(json.dumps(ln.to_dict()) if a.json else ln.text)

    if not a.follow:
        if a.tail is not None:
            emit(client.logs(a.run_id, tail=a.tail).lines)
            return 0
        after: Optional[int] = None
        while True:
            page = client.logs(a.run_id, after_seq=after, limit=1000)
            emit(page.lines)
            if len(page.lines) < 1000:
                return 0
            after = page.lines[-1].seq
    handle = client.follow(a.run_id)
    skip = None
    if a.tail is not None:
        total = client.logs(a.run_id, tail=1).total_lines
        skip = max(0, total - a.tail)
    try:
        final = _stream(handle, skip_until=skip, as_json=a.json)
    except KeyboardInterrupt:
        return 130  # following is only watching: the run goes on
    return 0 if final.status == "completed" else 1


def _cmd_cancel(client: Client, a: argparse.Namespace) -> int:
    if _is_sweep(a.run_id):
        _print_sweep_status(client.cancel_sweep(a.run_id), a)
        return 0
    record = client.cancel(a.run_id)
    if a.json:
        _print_json(record.to_dict())
    else:
        print(f"{record.run_id} {record.status}")
    return 0


def _sweep_request(a: argparse.Namespace) -> Dict[str, Any]:
    """The ``sweep`` call's arguments from the command line (usage errors as _Usage)."""
    try:
        grid, fixed = parse_grid(a.params)
        if a.rank_by is not None:
            RankKey.parse(a.rank_by)
    except ValueError as exc:
        raise _Usage(str(exc)) from None
    param_sets = None
    if a.param_sets is not None:
        try:
            param_sets = json.loads(Path(a.param_sets).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _Usage(f"--param-sets {a.param_sets}: {exc}") from None
        if not isinstance(param_sets, list) or not all(isinstance(p, dict) for p in param_sets):
            raise _Usage(f"--param-sets {a.param_sets}: not a JSON list of objects")
    if not grid and param_sets is None:
        raise _Usage("sweep: vary at least one param (name=v1,v2,...) or give --param-sets")
    if a.seed is not None and a.sample is None:
        raise _Usage("sweep: --seed goes with --sample")
    sample = None if a.sample is None else dict({"n": a.sample}, **({"seed": a.seed} if a.seed is not None else {}))
    return {"grid": grid or None, "param_sets": param_sets, "sample": sample, "params": fixed or None,
            "rank_by": a.rank_by, "cache": a.cache, "tags": a.tags, "note": a.note, "timeout_s": a.timeout_s,
            "profile": a.profile}


def _sweep_progress_printer(handle: SweepHandle) -> Any:
    """What ``sweep`` shows while it waits: a redrawn bar on a terminal, else one line per change."""
    if hasattr(sys.stderr, "isatty") and sys.stderr.isatty():
        return True

    def line(p: SweepProgress) -> None:
        _note(f"[{handle.sweep_id}] {p.describe()}")
    return line


def _cmd_sweep(client: Client, a: argparse.Namespace) -> int:
    request = _sweep_request(a)
    handle = client.sweep(a.script, **request)
    _note(f"[{handle.sweep_id}] started: {handle.total} runs of {a.script}")
    try:
        final = handle.wait(progress=_sweep_progress_printer(handle))
    except KeyboardInterrupt:
        # As for run --follow: Ctrl+C means "stop these backtests".
        _note(f"\n[{handle.sweep_id}] interrupted: cancelling")
        try:
            handle.cancel()
        except BacktestError:
            pass
        return 130
    rows = handle.rows()
    if a.json:
        _print_json(dict(final.to_dict(), rows=rows))
    else:
        rank_field = RankKey.parse(a.rank_by).field if a.rank_by else None
        columns = sweep_columns(rows, rank_field)
        print(text_table(columns, [[r.get(c) for c in columns] for r in rows]))
        print(f"({final.describe()})")
    return 0 if final.completed == final.total else 1


def _cmd_delete(client: Client, a: argparse.Namespace) -> int:
    if bool(a.run_ids) == (a.sweep is not None):
        raise _Usage("delete: give run ids or --sweep SWEEP_ID (one of them)")
    try:
        deleted = client.delete(a.run_ids or None, sweep_id=a.sweep)
    except RunsActive as exc:
        _note(f"error: nothing deleted: still queued or running (cancel them first): {' '.join(exc.run_ids)}")
        return 2
    if a.json:
        _print_json({"deleted": deleted})
    else:
        for run_id in deleted:
            print(run_id)
        _note(f"deleted {len(deleted)} run{'' if len(deleted) == 1 else 's'}")
    return 0


def _cmd_tag(client: Client, a: argparse.Namespace) -> int:
    if a.add is None and a.remove is None and a.note is None and not a.no_note:
        raise _Usage("tag: give --add, --remove, --note or --no-note")
    edit: Dict[str, Any] = {"add": a.add, "remove": a.remove}
    if a.note is not None or a.no_note:
        edit["note"] = None if a.no_note else a.note
    record = client.tag(a.run_id, **edit)
    if a.json:
        _print_json(record.to_dict())
    else:
        print(f"{record.run_id} tags: {', '.join(record.tags) or '-'}"
              + (f"; note: {record.note}" if record.note is not None else ""))
    return 0


def _cmd_validate(client: Client, a: argparse.Namespace) -> int:
    report = client.validate(a.run_id, profile=a.profile)
    if a.json:
        _print_json(report.to_dict())
    else:
        where = None
        if report.issues():
            try:
                where = client.status(a.run_id).output_dir
            except BacktestError:
                pass
        print("\n".join(validation_lines(report, a.run_id, where)))
    return 0 if report.valid else 1


def _cmd_compare(client: Client, a: argparse.Namespace) -> int:
    if a.csv and a.json:
        raise _Usage("compare: --csv and --json exclude each other")
    has_filters = any(x is not None for x in (a.status, a.script, a.tag, a.limit))
    if a.run_ids and has_filters:
        raise _Usage("compare: give run ids or filters (--status/--script/--tag/--limit), not both")
    filters: Dict[str, Any] = {}
    if has_filters:
        filters = {"status": _status_filter(a), "script": a.script, "tag": a.tag, "limit": a.limit}
    table = client.compare(a.run_ids or None, format="csv" if a.csv else None, **filters)
    records = table.records()
    if a.json:
        _print_json({"columns": table.columns, "rows": records})
        return 0
    if a.csv:
        if table.csv is not None:
            sys.stdout.write(table.csv if table.csv.endswith("\n") or not table.csv else table.csv + "\n")
        else:  # a server that sent no CSV text: the same table from the rows
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(table.columns)
            w.writerows([[cell(r.get(c)) for c in table.columns] for r in records])
            sys.stdout.write(buf.getvalue())
        return 0
    if not records:
        _note("no runs to compare")
        return 0
    # Runs side by side: one column per run, one row per field (params and metrics are many, runs few).
    ids = [cell(r.get("run_id")) for r in records]
    rows = [[c] + [r.get(c) for r in records] for c in table.columns if c != "run_id"]
    print(text_table(["run_id"] + ids, rows))
    return 0


def _cmd_results(client: Client, a: argparse.Namespace) -> int:
    res = client.results(a.run_id)
    if a.json:
        _print_json(res.to_dict())
        return 0
    print(text_table(["path", "size", "modified"], [[f.path, f.size, f.modified] for f in res.files]))
    print(f"({len(res.files)} file{'' if len(res.files) == 1 else 's'} in {res.output_dir})")
    return 0


def _cmd_read(client: Client, a: argparse.Namespace) -> int:
    chunks = client.read_chunks(a.run_id, a.path)
    if a.output is None or a.output == "-":
        out = sys.stdout.buffer
        for data in chunks:
            out.write(data)
            out.flush()
        return 0
    # Into a temporary file beside FILE, renamed at the end: FILE is never left half written.
    target = Path(a.output)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=str(target.parent or "."))
    size = 0
    try:
        with os.fdopen(fd, "wb") as f:
            for data in chunks:
                f.write(data)
                size += len(data)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    _note(f"{a.path}: {size} bytes written to {target}")
    return 0


def open_path(path: str) -> Optional[str]:
    """Opens a file with the system's opener (``open`` on macOS, ``xdg-open`` elsewhere, else the
    ``webbrowser`` module). Returns None when it was handed over, else why it could not be."""
    if sys.platform == "darwin":
        opener = shutil.which("open")
    elif os.name == "nt":
        try:
            os.startfile(path)  # type: ignore[attr-defined]
            return None
        except OSError as exc:
            return str(exc)
    else:
        opener = shutil.which("xdg-open")
    if opener:
        try:
            proc = subprocess.Popen([opener, path], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            return f"{opener}: {exc}"
        try:
            rc = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None  # still starting a viewer: it has it
        return None if rc == 0 else f"{os.path.basename(opener)} exited with code {rc}"
    import webbrowser
    try:
        if webbrowser.open(Path(path).as_uri()):
            return None
    except webbrowser.Error as exc:
        return str(exc)
    return "no program to open it (xdg-open, open, or a web browser)"


def _cmd_report(client: Client, a: argparse.Namespace) -> int:
    report = client.report(a.run_id)
    if a.json:
        _print_json(report.to_dict())
    else:
        print(report.path)
    if not a.no_open:
        sys.stdout.flush()
        why = open_path(report.path)
        if why:
            _note(f"could not open the report: {why}")
    return 0


COMMANDS = {"run": _cmd_run, "rerun": _cmd_rerun, "sweep": _cmd_sweep, "list": _cmd_list, "status": _cmd_status,
            "logs": _cmd_logs, "cancel": _cmd_cancel, "delete": _cmd_delete, "tag": _cmd_tag,
            "validate": _cmd_validate, "compare": _cmd_compare, "results": _cmd_results, "read": _cmd_read,
            "report": _cmd_report}


class _Usage(Exception):
    """A usage error found after parsing: reported like argparse's (exit 2)."""


def main(argv: Optional[List[str]] = None) -> int:
    parser = _parser()
    a = parser.parse_args(argv)
    command = shlex.split(a.server) if a.server else None
    try:
        with Client(a.workspace or ".", command) as client:
            return COMMANDS[a.command](client, a)
    except _Usage as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except BacktestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            # stdout was closed early (`... | head`): stop quietly, and keep Python from complaining at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
