"""Transports: the byte streams a :class:`~backtest_rpc.session.Session` speaks NDJSON over.

* :class:`Transport` - any pair of byte streams: ``reader`` gives the server's output a line at a time,
  ``writer`` takes the client's frames; optionally a third stream of the server's diagnostics (its stderr),
  drained on a thread into a short ring buffer so a lost connection can be reported with its last words.
* :class:`SubprocessTransport` - the stdio of a spawned server process (what :class:`Client` uses).
* :class:`MemoryTransport` - a server *function* running on a thread of this process, connected by
  in-memory pipes (:class:`MemoryPipe`): for tests of the client without any process.

A transport moves bytes and knows whether its server has ended; the JSON-RPC session (ids, waiting callers,
notifications) is :mod:`backtest_rpc.session`.
"""
from __future__ import annotations

import collections
import subprocess
import threading
import traceback
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional

__all__ = ["Transport", "SubprocessTransport", "MemoryTransport", "MemoryPipe", "ServerFunction"]


class Transport:
    """The byte streams to one server.

    ``reader``: a binary stream with ``readline()`` (``b""`` at the end) carrying the server's frames.
    ``writer``: a binary stream with ``write``, ``flush`` and ``close`` taking the client's frames.
    ``stderr``: optional binary stream of the server's diagnostics; its last ``stderr_lines`` lines are kept.

    A bare Transport has no process: it has no exit code, and "killing" it closes its streams.
    """

    def __init__(self, reader: Any, writer: Any, stderr: Any = None, *, stderr_lines: int = 200):
        self.reader = reader
        self.writer = writer
        self._tail: Deque[str] = collections.deque(maxlen=stderr_lines)
        self._ended = threading.Event()  # the reader reached its end
        self._killed = False
        self._stderr_thread: Optional[threading.Thread] = None
        if stderr is not None:
            self._stderr_thread = threading.Thread(target=self._drain, args=(stderr,),
                                                   name="backtest-rpc-stderr", daemon=True)
            self._stderr_thread.start()

    # ---- bytes -----------------------------------------------------------------------------------------

    def read_frame(self) -> bytes:
        """The server's next line (with its newline), or ``b""`` once the server's output has ended."""
        try:
            line = self.reader.readline()
        except (OSError, ValueError):
            line = b""
        if not line:
            self._ended.set()
        return line

    def write_frame(self, frame: bytes) -> None:
        """Writes one whole frame and flushes it; raises OSError or ValueError when the server is gone."""
        if self._killed:
            raise ValueError("transport closed")
        self.writer.write(frame)
        self.writer.flush()

    def close_writer(self) -> None:
        """Ends the client's output (the server sees end of input)."""
        try:
            if not getattr(self.writer, "closed", False):
                self.writer.close()
        except (OSError, ValueError):
            pass

    # ---- diagnostics -----------------------------------------------------------------------------------

    def _drain(self, stream: Any) -> None:
        try:
            for raw in iter(stream.readline, b""):
                self._tail.append(raw.decode("utf-8", "replace").rstrip("\n"))
        except (OSError, ValueError):
            pass

    def note(self, line: str) -> None:
        """Adds a line of the client's own to the diagnostics (e.g. an unparsable frame)."""
        self._tail.append(line)

    def stderr_tail(self, n: int = 20) -> str:
        """The last ``n`` lines of the server's diagnostics."""
        return "\n".join(list(self._tail)[-n:])

    # ---- life ------------------------------------------------------------------------------------------

    @property
    def returncode(self) -> Optional[int]:
        """The server's exit code once it has ended and has one (never, for bare streams)."""
        return None

    @property
    def alive(self) -> bool:
        return not self._killed and not self._ended.is_set()

    def _wait_ended(self, timeout: Optional[float]) -> bool:
        """Waits for the server to end; True when it did within ``timeout``."""
        return self._ended.wait(timeout)

    def wait(self, timeout: Optional[float] = None) -> Optional[int]:
        """Waits up to ``timeout`` seconds (None: no limit) for the server to end; returns its exit code,
        or None when it has not ended or has no exit code."""
        if not self._wait_ended(timeout):
            return None
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=1)  # its last words, before anyone reads the tail
        return self.returncode

    def kill(self) -> None:
        """Ends the server as hard as this transport can; for bare streams, closes them."""
        self._killed = True
        for stream in (self.writer, self.reader):
            try:
                stream.close()
            except (OSError, ValueError):
                pass


class SubprocessTransport(Transport):
    """A server process started with ``argv``, spoken to over its stdin and stdout; stderr is drained."""

    def __init__(self, argv: List[str], *, env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None,
                 stderr_lines: int = 200):
        self.argv = list(argv)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=cwd)
        super().__init__(self.proc.stdout, self.proc.stdin, self.proc.stderr, stderr_lines=stderr_lines)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> Optional[int]:
        return self.proc.poll()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def write_frame(self, frame: bytes) -> None:
        if self.writer is None or self.writer.closed:
            raise ValueError("the server's stdin is closed")
        super().write_frame(frame)

    def _wait_ended(self, timeout: Optional[float]) -> bool:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not take this long
            pass


class MemoryPipe:
    """A one-way in-memory byte pipe, usable from two threads: ``write``/``flush``/``close`` on one side,
    ``readline`` (or iteration) on the other. ``readline`` blocks until a whole line is there or the pipe
    is closed; after ``close`` the rest is still read, then ``b""``; writing to a closed pipe raises
    ValueError, as writing to a closed file does."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def write(self, data: bytes) -> int:
        with self._cond:
            if self._closed:
                raise ValueError("write to a closed pipe")
            self._buf += data
            self._cond.notify_all()
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def readline(self) -> bytes:
        with self._cond:
            while True:
                end = self._buf.find(b"\n")
                if end >= 0:
                    line = bytes(self._buf[:end + 1])
                    del self._buf[:end + 1]
                    return line
                if self._closed:
                    rest = bytes(self._buf)
                    self._buf.clear()
                    return rest
                self._cond.wait()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


#: A server run by :class:`MemoryTransport`: ``server(stdin, stdout, stderr)`` reads the client's frames
#: from ``stdin`` (``readline``/iteration, ``b""`` at the end), writes its own to ``stdout`` (``write`` +
#: ``flush``) and diagnostics to ``stderr``, and returns its exit code (None means 0).
ServerFunction = Callable[[MemoryPipe, MemoryPipe, MemoryPipe], Optional[int]]


class MemoryTransport(Transport):
    """A server function on a thread of this process, as if it were a process: what the client writes is
    the function's stdin, what the function writes to its stdout reaches the client, and its stderr is kept
    like a process's. When the function returns (or raises: SystemExit gives its code, anything else 1 with
    the traceback on stderr) its stdout and stderr are closed, so the client sees the server end::

        def fake_server(stdin, stdout, stderr):
            for raw in stdin:
                request = json.loads(raw)
                ...
                stdout.write(json.dumps(answer).encode() + b"\n"); stdout.flush()
            return 0

        client = Client(transport=MemoryTransport(fake_server))
    """

    def __init__(self, server: ServerFunction, *, name: str = "backtest-rpc-memory-server",
                 stderr_lines: int = 200):
        self.server = server
        self.to_server = MemoryPipe()
        self.to_client = MemoryPipe()
        self.server_stderr = MemoryPipe()
        self._returncode: Optional[int] = None
        super().__init__(self.to_client, self.to_server, self.server_stderr, stderr_lines=stderr_lines)
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        code: Optional[int] = 1
        try:
            code = self.server(self.to_server, self.to_client, self.server_stderr) or 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            try:
                self.server_stderr.write(traceback.format_exc().encode("utf-8", "replace"))
            except ValueError:
                pass
            code = 1
        finally:
            self._returncode = code
            self.to_client.close()
            self.server_stderr.close()

    @property
    def returncode(self) -> Optional[int]:
        return self._returncode

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._killed

    def _wait_ended(self, timeout: Optional[float]) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def kill(self) -> None:
        """Closes every pipe: the server function sees the end of its input (a thread cannot be killed;
        a function that ignores its input ends when it next writes, with ValueError)."""
        self._killed = True
        for pipe in (self.to_server, self.to_client, self.server_stderr):
            pipe.close()
        self._thread.join(5)
