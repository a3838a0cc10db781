"""backtest_rpc: a Python client for the backtest-rpc server (JSON-RPC 2.0 over stdio).

Standard library only. ``Client`` starts the server for a workspace; ``Client.run`` returns a ``RunHandle``
to wait on, stream from, cancel, and read results through; ``Client.sweep`` a ``SweepHandle`` (many runs of
one script, ranked). See docs/clients/python.md.

Modules: ``client`` (Client), ``handle`` (RunHandle), ``sweep`` (SweepHandle), ``sweep_registry`` (which
sweep handle gets which notification), ``types`` (result and notification dataclasses), ``errors``
(exceptions, one per contract error), ``session`` (the JSON-RPC session), ``transport`` (the byte streams
under it: a server process, or an in-memory server for tests), ``backend`` (what a handle needs of its
client), ``tables`` (result CSVs and records as tables), ``ranking`` (``rank_by``), ``grid`` (``name=a,b,c``
words), ``equity`` (equity curves), ``charts`` (several curves in one chart), ``progress``, ``render``,
``cli``, ``ipython`` (the ``%backtest`` magic), ``sweep_view`` (a sweep in a notebook), and ``_contract``
(facts generated from protocol/openrpc.json).
"""
from ._version import __version__
from .client import Client, find_server
from .errors import (BacktestError, ConfigInvalid, ConnectionLost, InternalError, InvalidParams, InvalidRequest,
                     MessageTooLarge, MethodNotFound, ParseError, PathOutsideRun, ProfileNotFound,
                     RequestCancelled, ResultsMissing, RPCError, RunFileNotFound, RunFinished, RunNotFinished,
                     RunNotFound, RunsActive, ScriptNotFound, ScriptNotRunnable, ScriptOutsideWorkspace,
                     ServerNotFound, ServerNotInitialized, ShuttingDown, SweepNotFound, WorkspaceError,
                     error_from_response)
from .handle import RunHandle
from .sweep import SweepHandle
from .transport import MemoryTransport, SubprocessTransport, Transport
from .types import (CompareTable, FileInfo, Health, LogEvent, LogLine, LogPage, ProgressEvent, ReadChunk, Report,
                    ResultFiles, RunList, RunRecord, RunStarted, ServerInfo, StatusEvent, Subscription,
                    SweepBest, SweepProgress, SweepStarted, SweepStatus, ValidationIssue, ValidationReport)

__all__ = [
    "__version__",
    # client and runs
    "Client", "find_server", "RunHandle", "SweepHandle",
    # transports
    "Transport", "SubprocessTransport", "MemoryTransport",
    # errors
    "BacktestError", "ServerNotFound", "ConnectionLost", "RPCError", "error_from_response",
    "ParseError", "InvalidRequest", "MethodNotFound", "InvalidParams", "InternalError", "ServerNotInitialized",
    "RequestCancelled", "ShuttingDown", "MessageTooLarge", "RunNotFound", "ScriptNotFound",
    "ScriptOutsideWorkspace", "ScriptNotRunnable", "ConfigInvalid", "RunFinished", "PathOutsideRun",
    "RunFileNotFound", "ProfileNotFound", "WorkspaceError", "RunNotFinished", "ResultsMissing", "SweepNotFound",
    "RunsActive",
    # results and notifications
    "CompareTable", "FileInfo", "Health", "LogEvent", "LogLine", "LogPage", "ProgressEvent", "ReadChunk", "Report",
    "ResultFiles", "RunList", "RunRecord", "RunStarted", "ServerInfo", "StatusEvent", "Subscription",
    "SweepBest", "SweepProgress", "SweepStarted", "SweepStatus", "ValidationIssue", "ValidationReport",
]
