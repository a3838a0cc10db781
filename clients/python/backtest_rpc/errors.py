"""Exceptions raised by the client.

Every JSON-RPC error the server answers becomes an :class:`RPCError` subclass chosen by its code
(see docs/protocol.md, "Errors"), so callers can write ``except RunNotFound`` instead of comparing
numbers. The code, message and ``data`` object travel with the exception.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Type


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
    """An error answer from the server: ``code``, ``message`` and ``data`` as sent."""

    code: Optional[int] = None

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


# One class per documented code. The names follow docs/protocol.md in CamelCase.
class ParseError(RPCError): code = -32700
class InvalidRequest(RPCError): code = -32600
class MethodNotFound(RPCError): code = -32601
class InvalidParams(RPCError): code = -32602
class InternalError(RPCError): code = -32603
class ServerNotInitialized(RPCError): code = -32002
class RequestCancelled(RPCError): code = -32800
class ShuttingDown(RPCError): code = 1001
class MessageTooLarge(RPCError): code = 1002
class RunNotFound(RPCError): code = 2001
class ScriptNotFound(RPCError): code = 2002
class ScriptOutsideWorkspace(RPCError): code = 2003
class ScriptNotRunnable(RPCError): code = 2004
class ConfigInvalid(RPCError): code = 2005
class RunFinished(RPCError): code = 2006
class PathOutsideRun(RPCError): code = 2007
# Not called FileNotFound: that would shadow the builtin's spirit (FileNotFoundError) in user code.
class RunFileNotFound(RPCError): code = 2008
class ProfileNotFound(RPCError): code = 2009
class WorkspaceError(RPCError): code = 2010
class RunNotFinished(RPCError): code = 2011
class ResultsMissing(RPCError): code = 2012


_BY_CODE: Dict[int, Type[RPCError]] = {
    cls.code: cls for cls in RPCError.__subclasses__() if cls.code is not None  # type: ignore[misc]
}


def error_from_response(error: Dict[str, Any], method: Optional[str] = None) -> RPCError:
    """Builds the matching exception for a JSON-RPC ``error`` member (unknown codes give RPCError)."""
    code = error.get("code")
    if not isinstance(code, int):
        code = -32603
    cls = _BY_CODE.get(code, RPCError)
    return cls(code, str(error.get("message", "")), error.get("data"), method)
