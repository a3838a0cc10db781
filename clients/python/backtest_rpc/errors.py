"""Exceptions raised by the client.

Every JSON-RPC error the server answers becomes an :class:`RPCError` subclass chosen by its code, so callers
can write ``except RunNotFound`` instead of comparing numbers. The code, message and ``data`` object travel
with the exception. Each class names its error as the contract does (``error_name``); the codes come from
the contract (``_contract.ERROR_CODES``, generated from protocol/openrpc.json), never from this file.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Type

from ._contract import ERROR_CODES

__all__ = [
    "BacktestError", "ServerNotFound", "ConnectionLost", "RPCError",
    "ParseError", "InvalidRequest", "MethodNotFound", "InvalidParams", "InternalError", "ServerNotInitialized",
    "RequestCancelled", "ShuttingDown", "MessageTooLarge", "RunNotFound", "ScriptNotFound",
    "ScriptOutsideWorkspace", "ScriptNotRunnable", "ConfigInvalid", "RunFinished", "PathOutsideRun",
    "RunFileNotFound", "ProfileNotFound", "WorkspaceError", "RunNotFinished", "ResultsMissing", "SweepNotFound",
    "RunsActive", "ERROR_CLASSES", "error_class", "error_from_response",
]


class BacktestError(Exception):
    """Base of everything this package raises on purpose."""


class ServerNotFound(BacktestError):
    """No server binary: not on PATH, not in BACKTEST_RPC_BIN, and no command given."""


class ConnectionLost(BacktestError):
    """The server process exited or closed its stdout while requests were waiting."""

    def __init__(self, message: str, returncode: Optional[int] = None, stderr_tail: str = ""):
        super().__init__(message + (f"\n--- server stderr (last lines) ---\n{stderr_tail}" if stderr_tail else ""))
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class RPCError(BacktestError):
    """An error answer from the server: ``code``, ``message`` and ``data`` as sent.

    A subclass stands for one error of the contract: ``error_name`` is its name there, and the class's
    ``code`` is that error's code in the contract (None when the contract no longer has it)."""

    error_name: Optional[str] = None
    code: Optional[int] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("error_name") is not None:
            cls.code = ERROR_CODES.get(cls.error_name)  # type: ignore[arg-type]

    def __init__(self, code: int, message: str, data: Any = None, method: Optional[str] = None):
        detail = f"{message} (code {code}"
        if method:
            detail += f", method {method}"
        detail += ")"
        if data not in (None, {}, []):
            detail += f" data={data!r}"
        super().__init__(detail)
        self.code = code
        self.message = message
        self.data = data
        self.method = method


# One class per error of the contract, named after it in CamelCase.
class ParseError(RPCError): error_name = "parse_error"
class InvalidRequest(RPCError): error_name = "invalid_request"
class MethodNotFound(RPCError): error_name = "method_not_found"
class InvalidParams(RPCError): error_name = "invalid_params"
class InternalError(RPCError): error_name = "internal_error"
class ServerNotInitialized(RPCError): error_name = "server_not_initialized"
class RequestCancelled(RPCError): error_name = "request_cancelled"
class ShuttingDown(RPCError): error_name = "shutting_down"
class MessageTooLarge(RPCError): error_name = "message_too_large"
class RunNotFound(RPCError): error_name = "run_not_found"
class ScriptNotFound(RPCError): error_name = "script_not_found"
class ScriptOutsideWorkspace(RPCError): error_name = "script_outside_workspace"
class ScriptNotRunnable(RPCError): error_name = "script_not_runnable"
class ConfigInvalid(RPCError): error_name = "config_invalid"
class RunFinished(RPCError): error_name = "run_finished"
class PathOutsideRun(RPCError): error_name = "path_outside_run"
# Not called FileNotFound: that would shadow the builtin's spirit (FileNotFoundError) in user code.
class RunFileNotFound(RPCError): error_name = "file_not_found"
class ProfileNotFound(RPCError): error_name = "profile_not_found"
class WorkspaceError(RPCError): error_name = "workspace_error"
class RunNotFinished(RPCError): error_name = "run_not_finished"
class ResultsMissing(RPCError): error_name = "results_missing"
class SweepNotFound(RPCError): error_name = "sweep_not_found"


class RunsActive(RPCError):
    """``delete`` refused: some runs are still queued or running (nothing was deleted); cancel them first."""
    error_name = "runs_active"

    @property
    def run_ids(self) -> List[str]:
        """The runs that are still active (the error's ``data.run_ids``)."""
        ids = self.data.get("run_ids") if isinstance(self.data, dict) else None
        return [str(i) for i in ids] if isinstance(ids, list) else []


#: The exception class of each error, by its contract name.
ERROR_CLASSES: Mapping[str, Type[RPCError]] = {
    cls.error_name: cls for cls in (
        ParseError, InvalidRequest, MethodNotFound, InvalidParams, InternalError, ServerNotInitialized,
        RequestCancelled, ShuttingDown, MessageTooLarge, RunNotFound, ScriptNotFound, ScriptOutsideWorkspace,
        ScriptNotRunnable, ConfigInvalid, RunFinished, PathOutsideRun, RunFileNotFound, ProfileNotFound,
        WorkspaceError, RunNotFinished, ResultsMissing, SweepNotFound, RunsActive)
    if cls.error_name is not None
}

_BY_CODE: Dict[int, Type[RPCError]] = {
    ERROR_CODES[name]: cls for name, cls in ERROR_CLASSES.items() if name in ERROR_CODES
}


def error_class(code: int) -> Type[RPCError]:
    """The exception class for an error code (RPCError itself for a code the contract does not name)."""
    return _BY_CODE.get(code, RPCError)


def error_from_response(error: Dict[str, Any], method: Optional[str] = None) -> RPCError:
    """Builds the matching exception for a JSON-RPC ``error`` member (unknown codes give RPCError)."""
    code = error.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        code = ERROR_CODES["internal_error"]
    cls = error_class(code)
    return cls(code, str(error.get("message", "")), error.get("data"), method)
