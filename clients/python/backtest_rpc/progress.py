"""Progress displays for :meth:`RunHandle.wait`: a bar on a terminal, an updating HTML bar in a notebook.

``make_progress(progress)`` chooses: ``False`` → none; a callable → it gets each ProgressEvent/StatusEvent;
``True`` → notebook bar when inside a Jupyter kernel, else a terminal bar on stderr; ``None`` (auto) → the
same, but only when stderr is a terminal or we are in a notebook, so scripts and CI logs stay clean.
"""
from __future__ import annotations

import html
import shutil
import sys
import time
from typing import Any, Callable, Optional, Union

__all__ = ["ProgressArg", "in_notebook", "CallbackProgress", "TerminalProgress", "NotebookProgress",
           "make_progress"]

ProgressArg = Union[None, bool, Callable[[Any], None]]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (ipykernel's shell), where display() reaches the front end."""
    ipython_mod = sys.modules.get("IPython")
    if ipython_mod is None:
        return False
    try:
        shell = ipython_mod.get_ipython()  # type: ignore[attr-defined]
    except Exception:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


class _Display:
    """Interface: update with a fraction (or None) and a message; close with the final status."""

    def update(self, fraction: Optional[float], message: str) -> None: ...

    def close(self, final: str) -> None: ...


class CallbackProgress(_Display):
    def __init__(self, fn: Callable[[Any], None]):
        self.fn = fn

    def event(self, ev: Any) -> None:
        self.fn(ev)


class TerminalProgress(_Display):
    """``[#########.............]  42%  Processing day 110/262`` redrawn in place, at most 10 times a second."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self._last = 0.0
        self._drawn = False

    def _line(self, fraction: Optional[float], message: str) -> str:
        if fraction is None:
            bar = "[" + "?" * self.width + "]     "
        else:
            filled = int(round(fraction * self.width))
            bar = "[" + "#" * filled + "." * (self.width - filled) + f"] {fraction * 100:3.0f}%"
        cols = shutil.get_terminal_size((100, 20)).columns
        return (bar + "  " + message)[: max(10, cols - 1)]

    def update(self, fraction: Optional[float], message: str) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and fraction not in (0.0, 1.0):
            return
        self._last = now
        self.stream.write("\r\x1b[K" + self._line(fraction, message))
        self.stream.flush()
        self._drawn = True

    def close(self, final: str) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
        self.stream.write(final + "\n")
        self.stream.flush()


class NotebookProgress(_Display):
    """An HTML <progress> element updated in place through a display id."""

    def __init__(self):
        from IPython.display import HTML, display  # only imported inside a kernel
        self._HTML = HTML
        self._handle = display(HTML(self._html(0.0, "queued")), display_id=True)
        self._last = 0.0

    @staticmethod
    def _html(fraction: Optional[float], message: str) -> str:
        value = "" if fraction is None else f' value="{fraction:.4f}"'
        pct = "" if fraction is None else f" {fraction * 100:.0f}%"
        return (f'<div class="backtest-progress"><progress max="1"{value} style="width:300px"></progress>'
                f'<span style="margin-left:8px;font-family:monospace">{pct} {html.escape(message)}</span></div>')

    def update(self, fraction: Optional[float], message: str) -> None:
        now = time.monotonic()
        if now - self._last < 0.2 and fraction not in (0.0, 1.0):
            return
        self._last = now
        self._handle.update(self._HTML(self._html(fraction, message)))

    def close(self, final: str) -> None:
        self._handle.update(self._HTML(self._html(1.0 if final.startswith("completed") else None, final)))


def make_progress(progress: ProgressArg) -> Optional[_Display]:
    if progress is False:
        return None
    if callable(progress) and progress is not True:
        return CallbackProgress(progress)
    if in_notebook():
        try:
            return NotebookProgress()
        except Exception:
            return None
    if progress is True or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return TerminalProgress()
    return None
