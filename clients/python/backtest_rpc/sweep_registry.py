"""Which sweep handle gets which notification: ``sweep/progress`` by its ``sweep_id``, ``run/status`` by the
run's sweep.

The server announces a sweep before it answers ``sweep`` (its first ``sweep/progress``, and the status of runs
answered from the cache at once), so events of a sweep no handle has yet are kept (the latest few) and given
to its handle when it registers. A sweep's own runs are named ``<stem>__<n>`` after ``sweep_<stem>``
(docs/sweeps.md), so their events are matched by name; reruns are not, and are added by id.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

from ._contract import TERMINAL_STATUSES
from .sweep import SweepHandle

__all__ = ["SweepRegistry", "sweep_of_run"]

#: Events kept for sweeps no handle has yet (a client that calls ``sweep`` itself through ``call`` has none).
EARLY_LIMIT = 256


def sweep_of_run(run_id: str) -> Optional[str]:
    """``20261127_120033_544__0004`` → ``sweep_20261127_120033_544``; None for a run not named as a sweep's."""
    stem, sep, n = run_id.rpartition("__")
    return f"sweep_{stem}" if sep and stem and n.isdigit() else None


class SweepRegistry:
    """The sweep handles of one client; fed on its reader thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handles: Dict[str, List[SweepHandle]] = {}
        self._reruns: Dict[str, str] = {}  # a rerun's run id → its sweep, until the run ends
        self._early: "OrderedDict[int, Tuple[str, str, Dict[str, Any]]]" = OrderedDict()
        self._n = 0

    def register(self, handle: SweepHandle) -> SweepHandle:
        """Adds a handle, then hands it the events of its sweep that came before it (in order)."""
        with self._lock:
            self._handles.setdefault(handle.sweep_id, []).append(handle)
            early = [(k, m, p) for k, (s, m, p) in self._early.items() if s == handle.sweep_id]
            for k, _, _ in early:
                del self._early[k]
        for _, method, params in early:
            handle._deliver(method, params)
        return handle

    def add_runs(self, sweep_id: str, run_ids: List[str]) -> None:
        """Runs a sweep gained (``rerun {sweep_id}``): their events go to the sweep's handles too."""
        with self._lock:
            handles = list(self._handles.get(sweep_id, ()))
            for r in run_ids:
                self._reruns[r] = sweep_id
        for h in handles:
            h._add_runs(run_ids)

    def deliver(self, method: str, params: Dict[str, Any]) -> None:
        """Hands a notification to the handles of its sweep, or keeps it for one still to come."""
        sweep_id = self._sweep_of(method, params)
        if sweep_id is None:
            return
        with self._lock:
            handles = list(self._handles.get(sweep_id, ()))
            if method == "run/status" and params.get("status") in TERMINAL_STATUSES:
                self._reruns.pop(params.get("run_id"), None)  # type: ignore[arg-type]
            if not handles:
                self._keep(sweep_id, method, params)
        for h in handles:
            h._deliver(method, params)

    def connection_lost(self, exc: BaseException) -> None:
        with self._lock:
            handles = [h for hs in self._handles.values() for h in hs]
        for h in handles:
            h._connection_lost(exc)

    def _sweep_of(self, method: str, params: Dict[str, Any]) -> Optional[str]:
        if method == "sweep/progress":
            sweep_id = params.get("sweep_id")
            return sweep_id if isinstance(sweep_id, str) else None
        run_id = params.get("run_id")
        if method != "run/status" or not isinstance(run_id, str):
            return None
        with self._lock:
            rerun_of = self._reruns.get(run_id)
        return rerun_of or sweep_of_run(run_id)

    def _keep(self, sweep_id: str, method: str, params: Dict[str, Any]) -> None:
        # Called with the lock held.
        self._n += 1
        self._early[self._n] = (sweep_id, method, params)
        while len(self._early) > EARLY_LIMIT:
            self._early.popitem(last=False)
