"""RunHandle: one run as the client sees it while it runs and after.

The reader thread delivers the run's notifications here (``_deliver``): the latest status and progress are
kept for :meth:`wait`, and every event is queued for :meth:`events`. The consumer side of :meth:`events`
checks log sequence numbers: when the server dropped lines (a slow reader) or the handle joined a run that
was already going, it fetches the missing lines with ``logs after_seq`` so the caller sees every line once,
in order, before the final status.
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

from .backend import RunBackend
from .errors import ConnectionLost
from .progress import CallbackProgress, ProgressArg, make_progress
from .tables import parse_csv
from .types import EVENT_TYPES, FileInfo, LogEvent, LogLine, ProgressEvent, RunRecord, StatusEvent

__all__ = ["RunHandle", "Event"]

Event = Union[StatusEvent, LogEvent, ProgressEvent]

_LOST = object()  # queued when the connection dies, so a blocked events() wakes up


class RunHandle:
    """A run started (or followed) through a :class:`Client`.

    ``client`` is what the handle asks for records, logs and files: any :class:`~backtest_rpc.backend.RunBackend`
    (the Client that made it)."""

    def __init__(self, client: RunBackend, run_id: str, *, run_dir: Optional[str] = None,
                 output_dir: Optional[str] = None, status: str = "queued", backlog: bool = False):
        self.client = client
        self.run_id = run_id
        self.run_dir = run_dir
        self.output_dir = output_dir
        self._cond = threading.Condition()
        self._status = status
        self._progress: Optional[ProgressEvent] = None
        self._final: Optional[StatusEvent] = None
        self._lost: Optional[BaseException] = None
        self._queue: "queue.Queue[Any]" = queue.Queue()
        # Consumer-side state of events(): the last seq handed out, and whether lines before the first
        # live batch still have to be fetched (a handle that joined a running run).
        self._last_seq = -1
        self._need_backlog = backlog
        self._ended = False
        self._callbacks: List[Callable[[Event], None]] = []

    def __repr__(self) -> str:
        return f"<RunHandle {self.run_id} {self.status}>"

    # ---- fed by the client's reader thread --------------------------------------------------------------

    def _deliver(self, method: str, params: Dict[str, Any]) -> None:
        cls = EVENT_TYPES.get(method)
        if cls is None:
            return
        ev = cls.from_json(params)
        with self._cond:
            if self._final is not None:
                return  # nothing after the end (e.g. a synthetic final status raced a real one)
            if isinstance(ev, StatusEvent):
                self._status = ev.status
                if ev.terminal:
                    self._final = ev
            elif isinstance(ev, ProgressEvent):
                self._progress = ev
            self._queue.put(ev)
            self._cond.notify_all()
        for fn in list(self._callbacks):
            try:
                fn(ev)
            except Exception:  # a failing callback must not stop the reader thread
                pass

    def on_event(self, fn: Callable[[Event], None]) -> None:
        """Calls ``fn(event)`` for each of this run's notifications as it arrives, on the client's reader
        thread (keep it quick; no client calls from it). Lines are raw here: no gap filling."""
        self._callbacks.append(fn)

    def _connection_lost(self, exc: BaseException) -> None:
        with self._cond:
            if self._final is None:
                self._lost = exc
                self._queue.put(_LOST)
            self._cond.notify_all()

    # ---- state -----------------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """The latest status this client has seen (notifications; no request)."""
        return self._status

    @property
    def progress(self) -> Optional[ProgressEvent]:
        return self._progress

    @property
    def done(self) -> bool:
        return self._final is not None

    @property
    def final(self) -> Optional[StatusEvent]:
        """The terminal run/status notification, once it came."""
        return self._final

    def record(self) -> RunRecord:
        """The run's current record (asks the server)."""
        return self.client.status(self.run_id)

    # ---- waiting ---------------------------------------------------------------------------------------

    def wait(self, timeout: Optional[float] = None, progress: ProgressArg = None) -> RunRecord:
        """Blocks until the run has ended and returns its final record.

        ``progress``: None = a live bar when attached to a terminal or notebook; True/False force it;
        a callable receives every ProgressEvent and StatusEvent. Raises TimeoutError when ``timeout``
        seconds pass first (the run goes on), ConnectionLost when the server dies.
        """
        display = make_progress(progress)
        deadline = None if timeout is None else time.monotonic() + timeout
        seen_progress: Optional[ProgressEvent] = None
        seen_status: Optional[str] = None
        try:
            while True:
                with self._cond:
                    while (self._final is None and self._lost is None and self._progress is seen_progress
                           and self._status == seen_status):
                        remaining = None if deadline is None else deadline - time.monotonic()
                        if remaining is not None and remaining <= 0:
                            raise TimeoutError(f"run {self.run_id} still {self._status} after {timeout} s")
                        self._cond.wait(remaining)
                    final, lost, prog, status = self._final, self._lost, self._progress, self._status
                if display is not None:
                    if isinstance(display, CallbackProgress):
                        if prog is not seen_progress and prog is not None:
                            display.event(prog)
                        if status != seen_status and final is None:
                            display.event(StatusEvent(run_id=self.run_id, status=status))
                    elif prog is not None:
                        display.update(prog.fraction, prog.message or status)
                    else:
                        display.update(None, status)
                seen_progress, seen_status = prog, status
                if final is not None:
                    if isinstance(display, CallbackProgress):
                        display.event(final)
                    elif display is not None:
                        display.close(self._summary(final))
                    display = None
                    return self.record()
                if lost is not None:
                    raise lost
        finally:
            if display is not None and not isinstance(display, CallbackProgress):
                display.close(f"run {self.run_id}: {self._status} (stopped waiting)")

    def _summary(self, final: StatusEvent) -> str:
        text = f"run {self.run_id}: {final.status}"
        if final.failure:
            text += f" ({final.failure})"
        if final.error_message:
            text += f": {final.error_message}"
        return text

    # ---- streaming ---------------------------------------------------------------------------------------

    def events(self, timeout: Optional[float] = None) -> Iterator[Event]:
        """Yields StatusEvent, LogEvent and ProgressEvent as they arrive, ending after the final status.

        Log lines come exactly once and in order: gaps (``dropped``) are filled with ``logs after_seq``.
        One consumer at a time. ``timeout`` bounds the wait for each next event (TimeoutError).
        """
        if self._ended:
            return
        if self._need_backlog:
            self._need_backlog = False
            filled = self._fill(None)
            if filled:
                yield LogEvent(run_id=self.run_id, lines=filled)
        while True:
            try:
                ev = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"run {self.run_id}: no event within {timeout} s") from None
            if ev is _LOST:
                raise self._lost or ConnectionLost("connection lost")
            if isinstance(ev, LogEvent):
                # Any hole in the numbering (before the batch or inside it) is filled from the log.
                out: List[LogLine] = []
                for ln in ev.lines:
                    if ln.seq <= self._last_seq:
                        continue
                    if ln.seq > self._last_seq + 1:
                        out.extend(self._fill(ln.seq))
                    out.append(ln)
                    self._last_seq = ln.seq
                if out:
                    yield LogEvent(run_id=self.run_id, lines=out, dropped=ev.dropped, extra=ev.extra)
            elif isinstance(ev, StatusEvent) and ev.terminal:
                # Lines the server dropped at the very end (or all of them, for a handle that joined a
                # finished run) are fetched before the final status, as the protocol orders them.
                tail = self._fill(None)
                if tail:
                    yield LogEvent(run_id=self.run_id, lines=tail)
                self._ended = True
                yield ev
                return
            else:
                yield ev

    def lines(self, timeout: Optional[float] = None) -> Iterator[LogLine]:
        """Yields the run's log lines as they arrive (every line once, in order) until it ends."""
        for ev in self.events(timeout=timeout):
            if isinstance(ev, LogEvent):
                yield from ev.lines

    def _fill(self, before: Optional[int]) -> List[LogLine]:
        """Fetches lines after the last one handed out (and before ``before``, if given)."""
        out: List[LogLine] = []
        while True:
            page = self.client.logs(self.run_id, after_seq=self._last_seq if self._last_seq >= 0 else None,
                                    limit=1000)
            fresh = [ln for ln in page.lines if ln.seq > self._last_seq and (before is None or ln.seq < before)]
            out.extend(fresh)
            if fresh:
                self._last_seq = fresh[-1].seq
            reached = before is not None and (self._last_seq >= before - 1 or
                                              any(ln.seq >= before for ln in page.lines))
            if not fresh or reached or (page.complete and page.next_seq <= self._last_seq + 1):
                return out

    # ---- control and results ---------------------------------------------------------------------------

    def cancel(self) -> RunRecord:
        """Asks the server to cancel the run; the final ``cancelled`` status comes as a notification."""
        return self.client.cancel(self.run_id)

    def validate(self, profile: Optional[str] = None):
        return self.client.validate(self.run_id, profile=profile)

    def files(self) -> List[FileInfo]:
        """The files under the run's results directory."""
        return self.client.results(self.run_id).files

    def read(self, path: str, chunk_size: Optional[int] = None) -> bytes:
        """A result file's bytes, fetched in chunks (any size)."""
        return self.client.read_file(self.run_id, path, chunk_size=chunk_size)

    def read_csv(self, name: str):
        """A result CSV as a pandas DataFrame when pandas is importable, else a list of dicts."""
        return parse_csv(self.read(name))

