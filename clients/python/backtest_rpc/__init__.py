"""backtest_rpc: a Python client for the backtest-rpc server (JSON-RPC 2.0 over stdio).

Standard library only. ``Client`` starts the server for a workspace; ``Client.run`` returns a ``RunHandle``
to wait on, stream from, cancel, and read results through. See docs/clients/python.md.
"""
__version__ = "0.1.0"

from .client import Client, find_server  # noqa: E402
from .errors import *  # noqa: E402,F401,F403
from .errors import BacktestError, ConnectionLost, RPCError, ServerNotFound  # noqa: E402
from .handle import RunHandle  # noqa: E402
from .types import (CompareTable, FileInfo, Health, LogEvent, LogLine, LogPage, ProgressEvent,  # noqa: E402
                    ReadChunk, Report, ResultFiles, RunList, RunRecord, RunStarted, ServerInfo, StatusEvent,
                    Subscription, ValidationIssue, ValidationReport)
