"""The JSON-RPC 2.0 session with one server, over any :class:`~backtest_rpc.transport.Transport` (NDJSON).

One reader thread owns the transport's input: it hands each response to the caller waiting on its id and
each notification to a callback. Writes are serialised by a lock, so any thread may call at any time. When
the server's output ends, every waiting caller gets :class:`ConnectionLost` (with the server's exit code and
last stderr lines, when the transport has them) and the callback gets a ``$/connectionLost`` notification.
"""
from __future__ import annotations

import itertools
import json
import threading
from typing import Any, Callable, Dict, Optional, Tuple

from ._contract import ERROR_CODES
from .errors import ConnectionLost, error_from_response
from .transport import Transport

__all__ = ["Session", "NotificationCallback", "ResultHook", "Pending"]

NotificationCallback = Callable[[str, Dict[str, Any]], None]
ResultHook = Callable[[Any], None]


class Pending:
    """A request waiting for its answer: ``event`` is set once ``result`` or ``error`` is."""

    __slots__ = ("method", "event", "result", "error", "hook")

    def __init__(self, method: str, hook: Optional[ResultHook]):
        self.method = method
        self.event = threading.Event()
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.hook = hook


class Session:
    """Requests, answers and notifications over ``transport``; usable from any thread."""

    def __init__(self, transport: Transport, *, on_notification: Optional[NotificationCallback] = None):
        self.transport = transport
        self._on_notification = on_notification
        self._ids = itertools.count(1)
        self._pending: Dict[int, Pending] = {}
        self._lock = threading.Lock()          # guards _pending and _lost
        self._write_lock = threading.Lock()    # one frame at a time
        self._lost: Optional[ConnectionLost] = None
        self._reader = threading.Thread(target=self._read_loop, name="backtest-rpc-reader", daemon=True)
        self._reader.start()

    # ---- sending ---------------------------------------------------------------------------------------

    def _send(self, message: Dict[str, Any]) -> None:
        frame = (json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        with self._write_lock:
            if self._lost is not None:
                raise self._lost
            try:
                self.transport.write_frame(frame)
            except (OSError, ValueError) as exc:
                raise self._lost or ConnectionLost(f"cannot write to server: {exc}", self.transport.returncode,
                                                   self.transport.stderr_tail())

    def request_async(self, method: str, params: Optional[Dict[str, Any]] = None,
                      hook: Optional[ResultHook] = None) -> Tuple[int, Pending]:
        """Sends a request; returns its id and the pending slot. ``hook`` runs on the reader thread with the
        result before any later message is read (used to register run handles before their notifications)."""
        pending = Pending(method, hook)
        with self._lock:
            if self._lost is not None:
                raise self._lost
            rid = next(self._ids)
            self._pending[rid] = pending
        msg: Dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        try:
            self._send(msg)
        except BaseException:
            with self._lock:
                self._pending.pop(rid, None)
            raise
        return rid, pending

    def call(self, method: str, params: Optional[Dict[str, Any]] = None, timeout: Optional[float] = None,
             hook: Optional[ResultHook] = None) -> Any:
        """Sends a request and blocks until its answer; raises the matching RPCError on an error answer."""
        rid, pending = self.request_async(method, params, hook)
        return self.answer(rid, pending, timeout)

    def answer(self, rid: int, pending: Pending, timeout: Optional[float] = None) -> Any:
        """Blocks until the answer of a request sent with :meth:`request_async` (so many requests can be in
        flight at once); its result, or the matching RPCError."""
        method = pending.method
        if not pending.event.wait(timeout):
            with self._lock:
                self._pending.pop(rid, None)
            # Tell the server we gave up, so it does not keep working for nobody.
            try:
                self.notify("$/cancelRequest", {"id": rid})
            except Exception:
                pass
            raise TimeoutError(f"{method}: no answer within {timeout} s")
        if pending.error is not None:
            raise pending.error
        return pending.result

    def notify(self, method: str, params: Optional[Dict[str, Any]] = None) -> None:
        msg: Dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self._send(msg)

    # ---- receiving -------------------------------------------------------------------------------------

    def _read_loop(self) -> None:
        try:
            for raw in iter(self.transport.read_frame, b""):
                raw = raw.strip()
                if not raw:
                    continue
                try:
                    msg = json.loads(raw)
                except ValueError:
                    self.transport.note(f"[client] unparsable frame: {raw[:200]!r}")
                    continue
                for m in msg if isinstance(msg, list) else [msg]:
                    if isinstance(m, dict):
                        self._dispatch(m)
        finally:
            self._fail_all()

    def _dispatch(self, msg: Dict[str, Any]) -> None:
        if "method" in msg:
            if "id" in msg:
                # The server asks us something: we serve nothing, say so rather than leave it waiting.
                try:
                    self._send({"jsonrpc": "2.0", "id": msg["id"],
                                "error": {"code": ERROR_CODES["method_not_found"], "message": "method not found",
                                          "data": {"method": msg["method"]}}})
                except Exception:
                    pass
                return
            if self._on_notification is not None:
                try:
                    self._on_notification(msg["method"], msg.get("params") or {})
                except Exception as exc:  # a bad callback must not kill the reader
                    self.transport.note(f"[client] notification callback failed: {exc!r}")
            return
        rid = msg.get("id")
        with self._lock:
            pending = self._pending.pop(rid, None) if isinstance(rid, int) else None
        if pending is None:
            return
        if "error" in msg and msg["error"] is not None:
            pending.error = error_from_response(msg["error"], pending.method)
        else:
            pending.result = msg.get("result")
            if pending.hook is not None:
                try:
                    pending.hook(pending.result)
                except Exception as exc:
                    pending.error = exc
        pending.event.set()

    def _fail_all(self) -> None:
        """The server's output ended: every waiting caller gets ConnectionLost."""
        rc = self.transport.wait(timeout=2)
        lost = ConnectionLost("backtest-rpc server closed the connection"
                              + (f" (exit code {rc})" if rc is not None else ""), rc, self.transport.stderr_tail())
        with self._lock:
            self._lost = lost
            pending, self._pending = self._pending, {}
        for p in pending.values():
            p.error = lost
            p.event.set()
        if self._on_notification is not None:
            try:
                self._on_notification("$/connectionLost", {"returncode": rc})
            except Exception:
                pass

    # ---- life ------------------------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._lost is None and self.transport.alive

    @property
    def proc(self) -> Any:
        """The server process (``subprocess.Popen``) when the transport has one, else None. Kept for code
        written when the session owned the process; prefer ``transport``."""
        return getattr(self.transport, "proc", None)

    @property
    def returncode(self) -> Optional[int]:
        """The server's exit code, once it has ended (None for transports without one)."""
        return self.transport.returncode

    def stderr_tail(self, n: int = 20) -> str:
        return self.transport.stderr_tail(n)

    def close_stdin(self) -> None:
        """Ends the client's output: the server sees end of input (and exits when it is done)."""
        with self._write_lock:
            self.transport.close_writer()

    def wait(self, timeout: Optional[float] = None) -> Optional[int]:
        """Waits for the server to end; its exit code, or None (still running, or no exit code)."""
        rc = self.transport.wait(timeout)
        if rc is not None:
            self._reader.join(timeout=2)
        return rc

    def kill(self) -> None:
        self.transport.kill()
        self.wait(5)
