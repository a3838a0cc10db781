"""What a :class:`~backtest_rpc.handle.RunHandle` and a :class:`~backtest_rpc.sweep.SweepHandle` need from
the client that made them.

The handles ask for records, log pages and result files through these interfaces, not through ``Client``
itself, so ``handle`` and ``sweep`` do not import ``client`` (``client`` imports them: one direction only).
:class:`~backtest_rpc.client.Client` provides every method here; a test may hand a handle anything else that
does.
"""
from __future__ import annotations

from typing import Iterable, List, Optional, Protocol

from .types import LogPage, ResultFiles, RunRecord, SweepStatus, ValidationReport

__all__ = ["RunBackend", "SweepBackend"]


class RunBackend(Protocol):
    """The calls a run handle makes, with the meaning of the same-named :class:`Client` methods."""

    def status(self, run_id: str) -> RunRecord: ...

    def logs(self, run_id: str, *, after_seq: Optional[int] = None, limit: Optional[int] = None) -> LogPage: ...

    def cancel(self, run_id: str) -> RunRecord: ...

    def validate(self, run_id: str, profile: Optional[str] = None) -> ValidationReport: ...

    def results(self, run_id: str) -> ResultFiles: ...

    def read_file(self, run_id: str, path: str, chunk_size: Optional[int] = None) -> bytes: ...


class SweepBackend(Protocol):
    """The calls a sweep handle makes, with the meaning of the same-named :class:`Client` methods."""

    def sweep_status(self, sweep_id: str) -> SweepStatus: ...

    def cancel_sweep(self, sweep_id: str) -> SweepStatus: ...

    def rerun_sweep(self, sweep_id: str, only: str = "failed") -> List[str]: ...

    def delete(self, run_ids: Optional[List[str]] = None, *, sweep_id: Optional[str] = None) -> List[str]: ...

    def records(self, run_ids: Iterable[str], *, missing_ok: bool = False) -> List[RunRecord]: ...

    def read_file(self, run_id: str, path: str, chunk_size: Optional[int] = None) -> bytes: ...
