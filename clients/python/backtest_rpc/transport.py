"""NDJSON JSON-RPC over a child process's stdin/stdout.

One reader thread owns the server's stdout: it hands each response to the caller waiting on its id and each
notification to a callback. Writes are serialised by a lock, so any thread may call at any time. A second
thread drains stderr into a short ring buffer, so the server never blocks on a full stderr pipe and a crash
can be reported with its last words.
"""
from __future__ import annotations

import collections
import itertools
import json
import subprocess
import threading
from typing import Any, Callable, Deque, Dict, List, Optional

from .errors import ConnectionLost, RPCError, error_from_response

NotificationCallback = Callable[[str, Dict[str, Any]], None]
ResultHook = Callable[[Any], None]


class _Pending:
    """A request waiting for its answer."""

    __slots__ = ("method", "event", "result", "error", "hook")

    def __init__(self, method: str, hook: Optional[ResultHook]):
        self.method = method
        self.event = threading.Event()
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.hook = hook


class Connection:
    """A running server process and the JSON-RPC session with it."""

    def __init__(self, argv: List[str], *, env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None,
                 on_notification: Optional[NotificationCallback] = None, stderr_lines: int = 200):
        self.argv = list(argv)
        self._on_notification = on_notification
        self._ids = itertools.count(1)
        self._pending: Dict[int, _Pending] = {}
        self._lock = threading.Lock()          # guards _pending and _closed
        self._write_lock = threading.Lock()    # one frame at a time on stdin
        self._closed = False
        self._lost: Optional[ConnectionLost] = None
        self._stderr_tail: Deque[str] = collections.deque(maxlen=stderr_lines)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=cwd)
        self._reader = threading.Thread(target=self._read_loop, name="backtest-rpc-reader", daemon=True)
        self._stderr_reader = threading.Thread(target=self._stderr_loop, name="backtest-rpc-stderr", daemon=True)
        self._reader.start()
        self._stderr_reader.start()

    # ---- sending ---------------------------------------------------------------------------------------

    def _send(self, message: Dict[str, Any]) -> None:
        frame = (json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        with self._write_lock:
            if self.proc.stdin is None or self.proc.stdin.closed:
                raise self._lost or ConnectionLost("connection closed")
            try:
                self.proc.stdin.write(frame)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError) as exc:
                raise self._lost or ConnectionLost(f"cannot write to server: {exc}", self.proc.poll(),
                                                   self.stderr_tail())

    def request_async(self, method: str, params: Optional[Dict[str, Any]] = None,
                      hook: Optional[ResultHook] = None) -> "tuple[int, _Pending]":
        """Sends a request; returns its id and the pending slot. ``hook`` runs on the reader thread with the
        result before any later message is read (used to register run handles before their notifications)."""
        pending = _Pending(method, hook)
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
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            for raw in stdout:
                raw = raw.strip()
                if not raw:
                    continue
                try:
                    msg = json.loads(raw)
                except ValueError:
                    self._stderr_tail.append(f"[client] unparsable frame: {raw[:200]!r}")
                    continue
                for m in msg if isinstance(msg, list) else [msg]:
                    if isinstance(m, dict):
                        self._dispatch(m)
        except (OSError, ValueError):
            pass
        finally:
            self._fail_all()

    def _dispatch(self, msg: Dict[str, Any]) -> None:
        if "method" in msg:
            if "id" in msg:
                # The server asks us something: we serve nothing, say so rather than leave it waiting.
                try:
                    self._send({"jsonrpc": "2.0", "id": msg["id"],
                                "error": {"code": -32601, "message": "method not found",
                                          "data": {"method": msg["method"]}}})
                except Exception:
                    pass
                return
            if self._on_notification is not None:
                try:
                    self._on_notification(msg["method"], msg.get("params") or {})
                except Exception as exc:  # a bad callback must not kill the reader
                    self._stderr_tail.append(f"[client] notification callback failed: {exc!r}")
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

    def _stderr_loop(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        try:
            for raw in stream:
                self._stderr_tail.append(raw.decode("utf-8", "replace").rstrip("\n"))
        except (OSError, ValueError):
            pass

    def _fail_all(self) -> None:
        """The server's stdout ended: every waiting caller gets ConnectionLost."""
        try:
            rc = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            rc = None
        self._stderr_reader.join(timeout=1)
        lost = ConnectionLost("backtest-rpc server closed the connection"
                              + (f" (exit code {rc})" if rc is not None else ""), rc, self.stderr_tail())
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
        return self._lost is None and self.proc.poll() is None

    def stderr_tail(self, n: int = 20) -> str:
        return "\n".join(list(self._stderr_tail)[-n:])

    def close_stdin(self) -> None:
        with self._write_lock:
            try:
                if self.proc.stdin and not self.proc.stdin.closed:
                    self.proc.stdin.close()
            except OSError:
                pass

    def wait(self, timeout: Optional[float] = None) -> Optional[int]:
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(timeout=2)
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait(5)
