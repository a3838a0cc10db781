"""What a :class:`~backtest_rpc.handle.RunHandle` needs from the client that made it.

The handle asks for records, log pages and result files through this interface, not through ``Client``
itself, so ``handle`` does not import ``client`` (``client`` imports ``handle``: one direction only).
:class:`~backtest_rpc.client.Client` provides every method here; a test may hand a handle anything else that
does.
"""
from __future__ import annotations

from typing import Optional, Protocol

from .types import LogPage, ResultFiles, RunRecord, ValidationReport

__all__ = ["RunBackend"]


class RunBackend(Protocol):
    """The calls a run handle makes, with the meaning of the same-named :class:`Client` methods."""

    def status(self, run_id: str) -> RunRecord: ...

    def logs(self, run_id: str, *, after_seq: Optional[int] = None, limit: Optional[int] = None) -> LogPage: ...

    def cancel(self, run_id: str) -> RunRecord: ...

    def validate(self, run_id: str, profile: Optional[str] = None) -> ValidationReport: ...

    def results(self, run_id: str) -> ResultFiles: ...

    def read_file(self, run_id: str, path: str, chunk_size: Optional[int] = None) -> bytes: ...
