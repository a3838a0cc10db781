# generated from protocol/openrpc.json by clients/generate_contract.py — do not edit
"""The facts of the backtest-rpc contract (protocol/openrpc.json) this client relies on.

Regenerate with ``python3 clients/generate_contract.py`` after the contract changes; the test suite
fails while this file is stale."""
from types import MappingProxyType
from typing import FrozenSet, Mapping, Tuple

__all__ = ["ERROR_CODES", "ALL_STATUSES", "TERMINAL_STATUSES", "METHODS", "NOTIFICATIONS",
           "CLIENT_NOTIFICATIONS"]

#: Every error code the server may answer, by its contract name (snake_case).
ERROR_CODES: Mapping[str, int] = MappingProxyType({
    "request_cancelled": -32800,
    "parse_error": -32700,
    "internal_error": -32603,
    "invalid_params": -32602,
    "method_not_found": -32601,
    "invalid_request": -32600,
    "server_not_initialized": -32002,
    "shutting_down": 1001,
    "message_too_large": 1002,
    "run_not_found": 2001,
    "script_not_found": 2002,
    "script_outside_workspace": 2003,
    "script_not_runnable": 2004,
    "config_invalid": 2005,
    "run_finished": 2006,
    "path_outside_run": 2007,
    "file_not_found": 2008,
    "profile_not_found": 2009,
    "workspace_error": 2010,
    "run_not_finished": 2011,
    "results_missing": 2012,
    "sweep_not_found": 2013,
    "runs_active": 2014,
})

# Statuses from: x-run-statuses
#: Every status a run can have.
ALL_STATUSES: Tuple[str, ...] = (
    "queued",
    "running",
    "validating",
    "completed",
    "failed",
    "cancelled",
)
#: The statuses a run ends in: nothing about the run changes after them.
TERMINAL_STATUSES: FrozenSet[str] = frozenset({"completed", "failed", "cancelled"})

#: The methods a client may call.
METHODS: Tuple[str, ...] = (
    "cancel",
    "compare",
    "delete",
    "health",
    "initialize",
    "list",
    "logs",
    "read",
    "report",
    "rerun",
    "results",
    "rpc.discover",
    "run",
    "shutdown",
    "status",
    "subscribe",
    "sweep",
    "tag",
    "unsubscribe",
    "validate",
)
#: The notifications the server sends (server → client).
NOTIFICATIONS: Tuple[str, ...] = (
    "run/log",
    "run/progress",
    "run/status",
    "sweep/progress",
)
#: The notifications a client may send (client → server).
CLIENT_NOTIFICATIONS: Tuple[str, ...] = (
    "$/cancelRequest",
    "exit",
    "initialized",
)
