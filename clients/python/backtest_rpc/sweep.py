"""SweepHandle: one sweep (a script run over many param sets) as the client sees it while it runs and after.

The client's reader thread delivers the sweep's notifications here (``_deliver``): the latest
``sweep/progress`` (the counts by status and the best run so far) and each run's latest ``run/status``.
:meth:`SweepHandle.wait` blocks on them; when none comes for a while it asks the server (``status
{sweep_id}``), so a sweep whose notifications this client does not get still ends the wait.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Optional

from .backend import SweepBackend
from .progress import CallbackProgress, ProgressArg, make_progress
from .ranking import rank_rows
from .tables import as_table, record_row
from .types import RunRecord, StatusEvent, SweepProgress, SweepStatus

__all__ = ["SweepHandle"]

#: Seconds :meth:`SweepHandle.wait` waits for a notification before it asks the server instead.
POLL_SECONDS = 5.0


class SweepHandle:
    """A sweep started through :meth:`Client.sweep <backtest_rpc.client.Client.sweep>`.

    ``run_ids`` are the sweep's runs, one per param set in order, then the runs :meth:`rerun` added.
    ``client`` is what the handle asks for counts and records: any
    :class:`~backtest_rpc.backend.SweepBackend` (the Client that made it)."""

    def __init__(self, client: SweepBackend, sweep_id: str, run_ids: List[str], *,
                 rank_by: Optional[str] = None, script: Optional[str] = None):
        self.client = client
        self.sweep_id = sweep_id
        self.run_ids = list(run_ids)
        self.rank_by = rank_by
        self.script = script
        self._cond = threading.Condition()
        self._progress: Optional[SweepProgress] = None
        self._statuses: Dict[str, str] = {}
        self._lost: Optional[BaseException] = None

    def __repr__(self) -> str:
        p = self._progress
        where = f"{p.ended}/{p.total} ended" if p is not None else f"{len(self.run_ids)} runs"
        return f"<SweepHandle {self.sweep_id} {where}>"

    # ---- fed by the client's reader thread --------------------------------------------------------------

    def _deliver(self, method: str, params: Dict[str, Any]) -> None:
        with self._cond:
            if method == "sweep/progress":
                self._progress = SweepProgress.from_json(params)
            elif method == "run/status":
                ev = StatusEvent.from_json(params)
                self._statuses[ev.run_id] = ev.status
            else:
                return
            self._cond.notify_all()

    def _add_runs(self, run_ids: List[str]) -> None:
        """Runs the sweep gained (its reruns)."""
        with self._cond:
            self.run_ids.extend(r for r in run_ids if r not in self.run_ids)
            self._cond.notify_all()

    def _connection_lost(self, exc: BaseException) -> None:
        with self._cond:
            self._lost = exc
            self._cond.notify_all()

    # ---- state -----------------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return len(self.run_ids)

    @property
    def progress(self) -> Optional[SweepProgress]:
        """The latest ``sweep/progress`` this client got (no request); None before the first."""
        return self._progress

    @property
    def statuses(self) -> Dict[str, str]:
        """Each run's latest status as notified (no request); a run not heard of yet is absent."""
        with self._cond:
            return dict(self._statuses)

    @property
    def done(self) -> bool:
        """Every run of the sweep has ended, as far as the notifications tell."""
        return self._finished(self._progress)

    def _finished(self, p: Optional[SweepProgress]) -> bool:
        # A rerun's runs count only once the server's counts include them.
        return p is not None and p.finished and p.total >= len(self.run_ids)

    def status(self) -> SweepStatus:
        """The sweep's counts and best run, from the runs' records (asks the server)."""
        return self.client.sweep_status(self.sweep_id)

    # ---- waiting ---------------------------------------------------------------------------------------

    def wait(self, timeout: Optional[float] = None, progress: ProgressArg = None) -> SweepStatus:
        """Blocks until every run of the sweep has ended; returns the sweep's final :class:`SweepStatus`.

        ``progress``: None = a live bar when attached to a terminal or notebook; True/False force it;
        a callable receives each :class:`SweepProgress` whose counts differ from the last one's, on the
        waiting thread (so it may call the client). Raises TimeoutError when ``timeout`` seconds pass
        first (the runs go on), ConnectionLost when the server dies."""
        display = make_progress(progress)
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: Optional[SweepProgress] = None
        shown: Any = None
        try:
            while True:
                current = self._next(seen, deadline, timeout)
                if current.counts() != shown:
                    shown = current.counts()
                    self._show(display, current)
                if self._finished(current):
                    final = self.status()
                    if isinstance(display, CallbackProgress):
                        if final.counts() != shown:
                            display.event(final)
                    elif display is not None:
                        display.close(f"sweep {self.sweep_id}: {final.describe()}")
                    display = None
                    return final
                seen = current
        finally:
            if display is not None and not isinstance(display, CallbackProgress):
                p = self._progress
                display.close(f"sweep {self.sweep_id}: {p.describe() if p else 'started'} (stopped waiting)")

    def _next(self, seen: Optional[SweepProgress], deadline: Optional[float],
              timeout: Optional[float]) -> SweepProgress:
        """The next progress after ``seen``: a notification, or the server's answer after POLL_SECONDS of
        silence (a sweep whose runs were all answered from the cache may have changed before we listened)."""
        with self._cond:
            while self._progress is seen and self._lost is None:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"sweep {self.sweep_id} still going after {timeout} s")
                if not self._cond.wait(POLL_SECONDS if remaining is None else min(remaining, POLL_SECONDS)):
                    break
            if self._lost is not None:
                raise self._lost
            if self._progress is not seen:
                return self._progress  # type: ignore[return-value]
        asked = self.status()
        with self._cond:
            if self._progress is seen:  # a notification that came meanwhile is newer
                self._progress = asked
            return self._progress  # type: ignore[return-value]

    def _show(self, display: Any, p: SweepProgress) -> None:
        if display is None:
            return
        if isinstance(display, CallbackProgress):
            display.event(p)
        else:
            display.update(p.fraction, p.describe())

    # ---- control and results ---------------------------------------------------------------------------

    def cancel(self) -> SweepStatus:
        """Cancels every run that has not ended (runs not made yet are never made)."""
        return self.client.cancel_sweep(self.sweep_id)

    def rerun(self, only: str = "failed") -> List[str]:
        """Runs the sweep's failed runs (``only="ended"``: every ended run) again; the new runs join the sweep
        (``run_ids``, the counts, :meth:`wait`). Returns their ids."""
        new = self.client.rerun_sweep(self.sweep_id, only=only)
        self._add_runs(new)
        return new

    def delete(self) -> List[str]:
        """Deletes every ended run of the sweep (RunsActive, deleting nothing, while any is going)."""
        return self.client.delete(sweep_id=self.sweep_id)

    def records(self) -> List[RunRecord]:
        """Every run's record, in the sweep's order (runs deleted since are left out)."""
        return self.client.records(self.run_ids, missing_ok=True)

    def rows(self, rank_by: Optional[str] = None) -> List[Dict[str, Any]]:
        """One flat dict per run (``run_id``, ``status``, ``params.*``, ``metrics.*``, ``summary.*``), best
        first by ``rank_by`` (default: the sweep's), runs without a value last; in sweep order without one."""
        return rank_rows([record_row(r) for r in self.records()], rank_by or self.rank_by)

    def results(self, rank_by: Optional[str] = None) -> Any:
        """:meth:`rows` as a pandas DataFrame when pandas is importable, else the list of dicts."""
        return as_table(self.rows(rank_by))
