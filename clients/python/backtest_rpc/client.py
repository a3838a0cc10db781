"""Client: starts a backtest-rpc server for a workspace (or speaks over a given transport) and offers every
method as a plain call; ``run`` and ``sweep`` give handles that follow what they started."""
from __future__ import annotations

import base64
import os
import shutil
import threading
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from ._contract import TERMINAL_STATUSES
from ._version import __version__
from .errors import ConnectionLost, RunNotFound, ServerNotFound
from .handle import RunHandle
from .ranking import RankKey
from .session import Pending, Session
from .sweep import SweepHandle
from .sweep_registry import SweepRegistry
from .tables import parse_csv
from .transport import SubprocessTransport, Transport
from .types import (CompareTable, Health, LogPage, ReadChunk, Report, ResultFiles, RunList, RunRecord,
                    RunStarted, ServerInfo, Subscription, SweepStarted, SweepStatus, ValidationReport)

__all__ = ["Client", "find_server"]

Listener = Callable[[str, Dict[str, Any]], None]


def find_server(command: Optional[Sequence[str]] = None) -> List[str]:
    """The command that starts the server: ``command`` if given, else $BACKTEST_RPC_BIN, else
    ``backtest-rpc`` on PATH."""
    if command:
        return [command] if isinstance(command, str) else list(command)
    env_bin = os.environ.get("BACKTEST_RPC_BIN")
    if env_bin:
        return [env_bin]
    found = shutil.which("backtest-rpc")
    if found:
        return [found]
    raise ServerNotFound("backtest-rpc not found: put it on PATH, set BACKTEST_RPC_BIN, or pass command=[...]")


def _drop_none(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


class _Unset:
    """The default of a parameter whose None means something (``tag(note=None)`` removes the note)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

#: How many ``status`` requests :meth:`Client.records` keeps in flight at once.
RECORDS_WINDOW = 256


class Client:
    """One server process serving one workspace, usable from any thread.

    >>> with Client("/path/to/workspace") as c:
    ...     run = c.run("strategy.py", {"capital": 1_000_000})
    ...     record = run.wait()
    ...     trades = run.read_csv("trades.csv")

    ``command`` replaces the server command (a list, or a path); ``--workspace`` is added when
    ``workspace`` is given. ``timeout`` is the default seconds to wait for any answer (None: forever).
    ``transport`` speaks to a server that is already there instead of starting one (e.g. a
    :class:`~backtest_rpc.transport.MemoryTransport` in tests); ``command``, ``env`` and ``server_args``
    then have no use.
    """

    def __init__(self, workspace: Optional[Union[str, os.PathLike]] = None,
                 command: Optional[Sequence[str]] = None, *, env: Optional[Dict[str, str]] = None,
                 server_args: Iterable[str] = (), initialize: bool = True, timeout: Optional[float] = 120.0,
                 client_name: str = "backtest_rpc-python", transport: Optional[Transport] = None):
        self.workspace = os.path.abspath(os.fspath(workspace)) if workspace is not None else None
        server_args = list(server_args)
        if transport is None:
            argv = find_server(command)
            if self.workspace is not None and "--workspace" not in argv:
                argv += ["--workspace", self.workspace]
            transport = SubprocessTransport(argv + server_args, env=env)
        elif command is not None or env is not None or server_args:
            raise TypeError("command, env and server_args start a server; they cannot go with transport=")
        self.timeout = timeout
        self._handles: Dict[str, List[RunHandle]] = {}
        self._handles_lock = threading.Lock()
        self._listeners: List[Listener] = []
        self._sweeps = SweepRegistry()
        self._closed = False
        self.conn = Session(transport, on_notification=self._on_notification)
        self.server_info: Optional[ServerInfo] = None
        if initialize:
            self.server_info = self.initialize(client_name)

    # ---- plumbing --------------------------------------------------------------------------------------

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def call(self, method: str, params: Optional[Dict[str, Any]] = None, *, timeout: Optional[float] = -1.0,
             hook: Optional[Callable[[Any], None]] = None) -> Any:
        """Any method by name; the raw JSON result. Raises an RPCError subclass on an error answer."""
        return self.conn.call(method, params, self.timeout if timeout == -1.0 else timeout, hook)

    def notify(self, method: str, params: Optional[Dict[str, Any]] = None) -> None:
        self.conn.notify(method, params)

    def on_notification(self, listener: Listener) -> Callable[[], None]:
        """Calls ``listener(method, params)`` for every notification (on the reader thread: keep it quick).
        Returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _on_notification(self, method: str, params: Dict[str, Any]) -> None:
        if method == "$/connectionLost":
            lost = ConnectionLost("backtest-rpc server exited"
                                  + (f" (exit code {params.get('returncode')})" if params.get("returncode")
                                     is not None else ""), params.get("returncode"), self.conn.stderr_tail())
            with self._handles_lock:
                handles = [h for hs in self._handles.values() for h in hs]
            for h in handles:
                h._connection_lost(lost)
            self._sweeps.connection_lost(lost)
        else:
            run_id = params.get("run_id")
            with self._handles_lock:
                handles = list(self._handles.get(run_id, ())) if isinstance(run_id, str) else []
                if method == "run/status" and params.get("status") in TERMINAL_STATUSES:
                    self._handles.pop(run_id, None)
            for h in handles:
                h._deliver(method, params)
            self._sweeps.deliver(method, params)
        for listener in list(self._listeners):
            listener(method, params)

    def _register(self, handle: RunHandle) -> RunHandle:
        with self._handles_lock:
            self._handles.setdefault(handle.run_id, []).append(handle)
        return handle

    # ---- lifecycle -------------------------------------------------------------------------------------

    def initialize(self, client_name: str = "backtest_rpc-python") -> ServerInfo:
        """Done for you by the constructor; tells the server who we are and where the workspace is."""
        params: Dict[str, Any] = {"processId": os.getpid(),
                                  "clientInfo": {"name": client_name, "version": __version__}}
        if self.workspace is not None:
            params["rootPath"] = self.workspace
            params["rootUri"] = "file://" + self.workspace
        info = ServerInfo.from_json(self.call("initialize", params))
        try:
            self.notify("initialized", {})
        except ConnectionLost:
            pass
        return info

    def shutdown(self) -> None:
        """Sends ``shutdown`` (later requests would get ShuttingDown). Prefer :meth:`close`."""
        self.call("shutdown", None, timeout=10)

    def close(self, wait_for_runs: bool = False, timeout: float = 10.0) -> Optional[int]:
        """Ends the session and the server process. Runs go on (they live apart from the server) unless
        ``wait_for_runs``: then stdin is closed and the server waits for the runs it started (until
        ``timeout``; None = no limit) before it exits. Returns the server's exit code."""
        if self._closed:
            return self.conn.returncode
        self._closed = True
        if self.conn.alive:
            if wait_for_runs:
                self.conn.close_stdin()
                rc = self.conn.wait(timeout)
                if rc is not None:
                    return rc
            else:
                try:
                    self.call("shutdown", None, timeout=5)
                    self.notify("exit")
                except Exception:
                    pass
                self.conn.close_stdin()
                rc = self.conn.wait(timeout)
                if rc is not None:
                    return rc
        self.conn.close_stdin()
        self.conn.kill()
        return self.conn.returncode

    @property
    def alive(self) -> bool:
        return self.conn.alive

    def health(self) -> Health:
        return Health.from_json(self.call("health"))

    def discover(self) -> Dict[str, Any]:
        """The server's OpenRPC document."""
        return self.call("rpc.discover")

    # ---- runs ------------------------------------------------------------------------------------------

    def run(self, script: str, params: Optional[Dict[str, Any]] = None, *, args: Optional[List[str]] = None,
            env: Optional[Dict[str, str]] = None, timeout_s: Optional[float] = None,
            tags: Optional[List[str]] = None, note: Optional[str] = None, profile: Optional[str] = None,
            inputs: Optional[List[str]] = None, cache: Optional[str] = None,
            sbatch_args: Optional[List[str]] = None,
            on_event: Optional[Callable[[Any], None]] = None) -> RunHandle:
        """Starts ``script`` (relative to the workspace's scripts dir) and returns its handle at once.

        ``params`` become ``--key value`` arguments (True → bare flag, False/None → omitted).
        ``cache``: ``"off"`` (the server's default for a run), ``"reuse"`` (a run whose inputs match a completed
        run's is answered from it at once) or ``"refresh"`` (docs/sweeps.md).
        ``sbatch_args``: with the Slurm executor, this run's own sbatch options (docs/scale-out.md).
        ``on_event`` is called with each of the run's notifications from the first one on (reader thread)."""
        req = _drop_none({"script": script, "params": params, "args": args, "env": env,
                          "timeout_s": timeout_s, "tags": tags, "note": note, "profile": profile,
                          "inputs": inputs, "cache": cache, "sbatch_args": sbatch_args})
        return self._start("run", req, on_event)

    def rerun(self, run_id: str) -> RunHandle:
        """Runs a finished run again with the same script and params; a handle of the new run."""
        return self._start("rerun", {"run_id": run_id})

    def _start(self, method: str, params: Dict[str, Any],
               on_event: Optional[Callable[[Any], None]] = None) -> RunHandle:
        box: Dict[str, RunHandle] = {}

        def register(result: Any) -> None:
            # Runs on the reader thread before the next frame is read, so no notification of the new run
            # can arrive before its handle exists.
            started = RunStarted.from_json(result)
            box["h"] = self._register(RunHandle(self, started.run_id, run_dir=started.run_dir,
                                                output_dir=started.output_dir, status=started.status))
            if on_event is not None:
                box["h"].on_event(on_event)
            if started.status in TERMINAL_STATUSES:
                # Answered from the result cache: the run ended before its answer, and its final status
                # may have gone out before the answer too. The answer is the end.
                box["h"]._deliver("run/status", {"run_id": started.run_id, "status": started.status,
                                                 "previous": None})
        self.call(method, params, hook=register)
        return box["h"]

    def follow(self, run_id: str) -> RunHandle:
        """A handle of an existing run (started by anyone): subscribes to it; its ``events()`` start with
        the lines already written. Works for finished runs too (the final status is the record's)."""
        handle = self._register(RunHandle(self, run_id, backlog=True))
        self.subscribe(run_id)
        record = self.status(run_id)
        handle.run_dir, handle.output_dir = record.run_dir, record.output_dir
        if record.status in TERMINAL_STATUSES:
            # No notification will come for a run that has already ended: take the end from the record.
            handle._deliver("run/status", {"run_id": run_id, "status": record.status, "previous": None,
                                           "at": record.completed_at, "exit_code": record.exit_code,
                                           "failure": record.failure, "error_message": record.error_message})
            with self._handles_lock:
                self._handles.pop(run_id, None)
        elif handle.status == "queued" and record.status != "queued":
            handle._status = record.status
        return handle

    def status(self, run_id: str) -> RunRecord:
        return RunRecord.from_json(self.call("status", {"run_id": run_id}))

    def records(self, run_ids: Iterable[str], *, missing_ok: bool = False) -> List[RunRecord]:
        """The records of many runs, in the order given: ``status`` requests sent many at a time rather than
        one after another. ``missing_ok``: leave out runs that do not exist (else RunNotFound)."""
        ids = list(run_ids)
        out: List[RunRecord] = []
        for start in range(0, len(ids), RECORDS_WINDOW):
            sent: List[Tuple[int, Pending]] = [self.conn.request_async("status", {"run_id": r})
                                               for r in ids[start:start + RECORDS_WINDOW]]
            for rid, pending in sent:
                try:
                    out.append(RunRecord.from_json(self.conn.answer(rid, pending, self.timeout)))
                except RunNotFound:
                    if not missing_ok:
                        raise
        return out

    def logs(self, run_id: str, *, tail: Optional[int] = None, after_seq: Optional[int] = None,
             limit: Optional[int] = None, stream: Optional[str] = None) -> LogPage:
        return LogPage.from_json(self.call("logs", _drop_none(
            {"run_id": run_id, "tail": tail, "after_seq": after_seq, "limit": limit, "stream": stream})))

    def list(self, *, status: Optional[Union[str, List[str]]] = None, script: Optional[str] = None,
             tag: Optional[str] = None, since: Optional[str] = None, until: Optional[str] = None,
             limit: Optional[int] = None, offset: Optional[int] = None, order: Optional[str] = None,
             where: Optional[str] = None, order_by: Optional[str] = None) -> RunList:
        """Runs matching the filters, newest first. ``where`` (``"metrics.sharpe > 1 and params.fast = 10"``)
        and ``order_by`` (``"metrics.sharpe desc"``) are passed to a server that knows them."""
        return RunList.from_json(self.call("list", _drop_none(
            {"status": status, "script": script, "tag": tag, "since": since, "until": until,
             "limit": limit, "offset": offset, "order": order, "where": where, "order_by": order_by})))

    def cancel(self, run_id: str) -> RunRecord:
        """Cancels a queued or running run (RunFinished if it has ended)."""
        return RunRecord.from_json(self.call("cancel", {"run_id": run_id}))

    def tag(self, run_id: str, *, add: Optional[List[str]] = None, remove: Optional[List[str]] = None,
            note: Any = UNSET) -> RunRecord:
        """Edits an ended run's tags and note; its record. ``note=None`` removes the note (left out: kept).
        RunNotFinished while the run is going."""
        params: Dict[str, Any] = _drop_none({"run_id": run_id, "add": add, "remove": remove})
        if note is not UNSET:
            params["note"] = note
        return RunRecord.from_json(self.call("tag", params))

    def delete(self, run_ids: Optional[List[str]] = None, *, sweep_id: Optional[str] = None) -> List[str]:
        """Deletes ended runs (their directories, index rows and cache entries): these ``run_ids``, or every
        ended run of ``sweep_id``. Returns the ids deleted. RunsActive (``.run_ids``), deleting nothing, when
        any of them is still queued or running."""
        if (run_ids is None) == (sweep_id is None):
            raise TypeError("delete: give run_ids or sweep_id (one of them)")
        params = {"run_ids": list(run_ids)} if run_ids is not None else {"sweep_id": sweep_id}
        return [str(r) for r in self.call("delete", params).get("deleted", [])]

    def subscribe(self, run_id: Optional[str] = None, all: bool = False) -> Subscription:
        return Subscription.from_json(self.call("subscribe", {"all": True} if all else {"run_id": run_id}))

    def unsubscribe(self, run_id: Optional[str] = None, all: bool = False) -> Subscription:
        return Subscription.from_json(self.call("unsubscribe", {"all": True} if all else {"run_id": run_id}))

    # ---- results ---------------------------------------------------------------------------------------

    def validate(self, run_id: str, profile: Optional[str] = None) -> ValidationReport:
        return ValidationReport.from_json(self.call("validate", _drop_none({"run_id": run_id,
                                                                             "profile": profile})))

    def results(self, run_id: str) -> ResultFiles:
        return ResultFiles.from_json(self.call("results", {"run_id": run_id}))

    def read(self, run_id: str, path: str, *, offset: Optional[int] = None, length: Optional[int] = None,
             encoding: Optional[str] = None) -> ReadChunk:
        """One chunk of a result file, as the server sends it. :meth:`read_file` gives the whole file."""
        return ReadChunk.from_json(self.call("read", _drop_none(
            {"run_id": run_id, "path": path, "offset": offset, "length": length, "encoding": encoding})))

    def read_chunks(self, run_id: str, path: str, chunk_size: Optional[int] = None) -> Iterator[bytes]:
        """A result file's bytes as the server sends them: one ``read`` call (at most ``chunk_size`` bytes,
        server default 1 MiB) per chunk, each yielded as it arrives, so a file of any size streams in
        bounded memory. Exact bytes (base64 on the wire)."""
        offset = 0
        while True:
            chunk = self.read(run_id, path, offset=offset, length=chunk_size, encoding="base64")
            data = base64.b64decode(chunk.data) if chunk.encoding == "base64" else chunk.data.encode("utf-8")
            if data:
                yield data
            next_offset = chunk.next_offset if isinstance(chunk.next_offset, int) else offset + len(data)
            if chunk.eof or not data or next_offset <= offset:
                return
            offset = next_offset

    def read_file(self, run_id: str, path: str, chunk_size: Optional[int] = None) -> bytes:
        """A whole result file's bytes, read in chunks of at most ``chunk_size`` (server default 1 MiB)."""
        return b"".join(self.read_chunks(run_id, path, chunk_size))

    def read_csv(self, run_id: str, path: str):
        """A result CSV: a pandas DataFrame when pandas is importable, else a list of dicts."""
        return parse_csv(self.read_file(run_id, path))

    def compare(self, run_ids: Optional[List[str]] = None, *, format: Optional[str] = None,
                where: Optional[str] = None, order_by: Optional[str] = None, **filters: Any) -> CompareTable:
        """A table comparing runs: by ids, or by the filters of :meth:`list` (``where`` and ``order_by``
        included). Columns: ``run_id``, ``status``, ``script``, ``param.<name>``..., ``package.<name>``...,
        ``metrics.<name>``..., ``summary.<name>``..."""
        params = _drop_none(dict(filters, run_ids=run_ids, format=format, where=where, order_by=order_by))
        return CompareTable.from_json(self.call("compare", params))

    def report(self, run_id: str) -> Report:
        return Report.from_json(self.call("report", {"run_id": run_id}))

    # ---- sweeps ----------------------------------------------------------------------------------------

    def sweep(self, script: str, grid: Optional[Dict[str, List[Any]]] = None, *,
              param_sets: Optional[List[Dict[str, Any]]] = None, sample: Optional[Dict[str, int]] = None,
              params: Optional[Dict[str, Any]] = None, rank_by: Optional[str] = None, cache: Optional[str] = None,
              **run_params: Any) -> SweepHandle:
        """Runs ``script`` once per param set and returns a :class:`SweepHandle` at once (docs/sweeps.md).

        ``grid`` ``{name: [values]}``: the cartesian product (the last name varies fastest); ``param_sets``
        ``[{...}]``: a list (crossed with the grid when both are given); ``sample`` ``{"n": 20, "seed": 1}``:
        n sets of the grid drawn reproducibly; ``params``: given to every set. ``rank_by``
        (``"metrics.sharpe"``, ``"metrics.max_drawdown"``, ``"summary.total_pnl asc"``) names the best run
        and orders :meth:`SweepHandle.results`. ``cache``: ``"reuse"`` (the server's default for a sweep),
        ``"refresh"`` or ``"off"``. ``run_params``: any other param of ``run`` (``args``, ``env``,
        ``timeout_s``, ``tags``, ``note``, ``profile``, ``inputs``, ``output_dir_arg``, ``sbatch_args``), for every run."""
        if rank_by is not None:
            RankKey.parse(rank_by)  # the server would refuse it too; say so before starting anything
        req = dict(_drop_none({"script": script, "grid": grid, "param_sets": param_sets, "sample": sample,
                               "params": params, "rank_by": rank_by, "cache": cache}),
                   **{k: v for k, v in run_params.items() if v is not None or k == "output_dir_arg"})
        box: Dict[str, SweepHandle] = {}

        def register(result: Any) -> None:
            # On the reader thread, before the next frame: no later notification of the sweep is missed, and
            # the registry hands over the ones that came before the answer.
            started = SweepStarted.from_json(result)
            box["h"] = self._sweeps.register(SweepHandle(self, started.sweep_id, started.run_ids,
                                                         rank_by=rank_by, script=script))
        self.call("sweep", req, hook=register)
        return box["h"]

    def sweep_status(self, sweep_id: str) -> SweepStatus:
        """A sweep's counts by status and its best run, from its runs' records (``status {sweep_id}``)."""
        return SweepStatus.from_json(self.call("status", {"sweep_id": sweep_id}))

    def cancel_sweep(self, sweep_id: str) -> SweepStatus:
        """Cancels every run of the sweep that has not ended; its status after that."""
        return SweepStatus.from_json(self.call("cancel", {"sweep_id": sweep_id}))

    def rerun_sweep(self, sweep_id: str, only: str = "failed") -> List[str]:
        """Reruns the sweep's failed runs (``only="ended"``: every ended run); the new runs' ids. They join
        the sweep: its counts and handles include them."""
        def register(result: Any) -> None:
            # On the reader thread, before the next frame: the new runs' events reach the sweep's handles.
            self._sweeps.add_runs(sweep_id, [str(r) for r in result.get("run_ids", [])])
        result = self.call("rerun", {"sweep_id": sweep_id, "only": only}, hook=register)
        return [str(r) for r in result.get("run_ids", [])]
