"""Typed results and notifications.

Each dataclass mirrors one shape of docs/protocol.md. ``from_json`` takes the documented members and keeps
anything else in ``extra``, so a newer server that adds fields never breaks an older client.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Type, TypeVar

from ._contract import TERMINAL_STATUSES

__all__ = [
    "LogLine", "RunRecord", "RunStarted", "LogPage", "RunList", "ValidationIssue", "ValidationReport", "FileInfo",
    "ResultFiles", "ReadChunk", "CompareTable", "Report", "Health", "Subscription", "ServerInfo",
    "SweepStarted", "SweepBest", "SweepProgress", "SweepStatus", "StatusEvent", "LogEvent", "ProgressEvent",
    "EVENT_TYPES",
]

T = TypeVar("T", bound="_Model")


class _Model:
    """Mixin: build from a JSON object; unknown members go to ``extra``; nested models per ``_nested``."""

    _nested: Dict[str, Any] = {}

    @classmethod
    def from_json(cls: Type[T], obj: Optional[Dict[str, Any]]) -> T:
        obj = dict(obj or {})
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        kwargs: Dict[str, Any] = {}
        extra: Dict[str, Any] = {}
        for key, value in obj.items():
            if key in names and key != "extra":
                nested = cls._nested.get(key)
                if nested is not None and value is not None:
                    if isinstance(nested, list):
                        value = [nested[0].from_json(v) for v in value]
                    else:
                        value = nested.from_json(value)
                kwargs[key] = value
            else:
                extra[key] = value
        if "extra" in names:
            kwargs["extra"] = extra
        return cls(**kwargs)  # type: ignore[call-arg]

    def to_dict(self) -> Dict[str, Any]:
        """The object as plain JSON-able data (``extra`` merged back in, nested models' too)."""
        d = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        extra = d.pop("extra", None) or {}
        d.update(extra)
        return d


def _plain(value: Any) -> Any:
    """A field's value as JSON-able data: nested models through their own ``to_dict``."""
    if isinstance(value, _Model):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass
class LogLine(_Model):
    """One line of a run's output: ``seq`` is its 0-based number in execution.log."""
    seq: int = 0
    stream: str = "stdout"
    at: str = ""
    text: str = ""


@dataclass
class RunRecord(_Model):
    """A run as ``status``/``list`` return it (and as run.json holds it)."""
    run_id: str = ""
    script: str = ""
    params: Dict[str, Any] = field(default_factory=dict)
    args: List[str] = field(default_factory=list)
    status: str = ""
    failure: Optional[str] = None
    created_at: Optional[str] = None
    started_at: Optional[str] = None
    completed_at: Optional[str] = None
    duration_seconds: Optional[float] = None
    run_dir: Optional[str] = None
    output_dir: Optional[str] = None
    exit_code: Optional[int] = None
    signal: Optional[int] = None
    error_message: Optional[str] = None
    pid: Optional[int] = None
    supervisor_pid: Optional[int] = None
    server_pid: Optional[int] = None
    tags: List[str] = field(default_factory=list)
    note: Optional[str] = None
    timeout_s: Optional[float] = None
    profile: Optional[str] = None
    validation: Optional[Dict[str, Any]] = None
    warnings: List[Any] = field(default_factory=list)
    #: The sweep the run belongs to.
    sweep_id: Optional[str] = None
    #: The completed run whose results this one reused (``cache: "reuse"``) instead of running.
    cached_from: Optional[str] = None
    cache_key: Optional[str] = None
    #: The server's analytics of the run (docs/metrics.md): the same formulas for every run.
    metrics: Optional[Dict[str, Any]] = None
    #: The script's own summary.csv rows, ``metric → value``.
    summary: Optional[Dict[str, Any]] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass
class RunStarted(_Model):
    """The immediate answer to ``run``/``rerun``."""
    run_id: str = ""
    status: str = "queued"
    run_dir: Optional[str] = None
    output_dir: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class SweepStarted(_Model):
    """The immediate answer to ``sweep``: one run id per param set, in order."""
    sweep_id: str = ""
    run_ids: List[str] = field(default_factory=list)
    total: int = 0
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class LogPage(_Model):
    """The answer to ``logs``."""
    _nested = {"lines": [LogLine]}
    run_id: str = ""
    lines: List[LogLine] = field(default_factory=list)
    total_lines: int = 0
    next_seq: int = 0
    complete: bool = False
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class RunList(_Model):
    """The answer to ``list``: one page of runs and the total that matched."""
    _nested = {"runs": [RunRecord]}
    total: int = 0
    runs: List[RunRecord] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class ValidationIssue:
    """One finding of a validation report: its severity, the file and line an editor can jump to, the rule
    that found it and the message.

    ``message`` is the text without the ``file:line:`` the server puts in front of it (that is in ``file`` and
    ``line``); ``str(issue)`` puts it back: ``trades.csv:12: pnl is empty``."""
    severity: str
    message: str
    file: Optional[str] = None
    line: Optional[int] = None
    rule: Optional[str] = None

    @property
    def location(self) -> str:
        """``file:line``, ``file``, or "" when the finding names no file."""
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    @classmethod
    def parse(cls, item: Any, severity: str) -> "ValidationIssue":
        """Accepts the report's structured ``{severity, rule, file, line, message}`` objects as well as its
        ``"pnl.csv:1043: text"`` strings."""
        if isinstance(item, dict):
            line = item.get("line")
            line = line if isinstance(line, int) and not isinstance(line, bool) else None
            file = item.get("file") or None
            message = str(item.get("message") or item.get("text") or "")
            return cls(severity=str(item.get("severity") or severity),
                       message=_strip_location(message, file, line),
                       file=file, line=line, rule=item.get("rule") or item.get("code"))
        text = str(item)
        parts = text.split(":", 2)
        if len(parts) == 3 and parts[1].strip().isdigit():
            return cls(severity, parts[2].strip(), parts[0].strip(), int(parts[1]))
        if len(parts) >= 2 and "." in parts[0] and " " not in parts[0]:
            return cls(severity, text.split(":", 1)[1].strip(), parts[0].strip())
        return cls(severity, text)


def _strip_location(message: str, file: Optional[str], line: Optional[int]) -> str:
    """``"trades.csv:12: pnl is empty"`` → ``"pnl is empty"`` when the prefix is the issue's own file and line
    (the server writes it into the message too); any other message is left as it is."""
    if not file:
        return message
    for prefix in ((f"{file}:{line}:",) if line is not None else ()) + (f"{file}:",):
        if message.startswith(prefix):
            return message[len(prefix):].strip() or message
    return message


@dataclass
class ValidationReport(_Model):
    """The answer to ``validate`` (also stored as a run record's ``validation``).

    The server gives each finding twice: as a string in ``errors``/``warnings`` and as a structured object
    in ``issues`` (kept in ``extra["issues"]``). :meth:`issues` reads each finding once."""
    valid: bool = False
    errors: List[Any] = field(default_factory=list)
    warnings: List[Any] = field(default_factory=list)
    file_checks: Dict[str, Any] = field(default_factory=dict)
    profile: Optional[str] = None
    validated_at: Optional[str] = None
    duration_ms: Optional[float] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    def issues(self) -> List[ValidationIssue]:
        """Every finding once, as the server ordered them: the structured ``issues`` (severity, rule, file,
        line, message); for a report without them (an older server), the ``errors`` then the ``warnings``
        strings, parsed into file/line/message."""
        structured = self.extra.get("issues")
        if isinstance(structured, list) and structured:
            return [ValidationIssue.parse(item, "error") for item in structured]
        return ([ValidationIssue.parse(e, "error") for e in self.errors]
                + [ValidationIssue.parse(w, "warning") for w in self.warnings])

    def counts(self) -> Dict[str, int]:
        """``{"error": n, "warning": m}`` over :meth:`issues`."""
        out = {"error": 0, "warning": 0}
        for issue in self.issues():
            out[issue.severity] = out.get(issue.severity, 0) + 1
        return out


@dataclass
class FileInfo(_Model):
    """One file under a run's results directory."""
    path: str = ""
    size: int = 0
    modified: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class ResultFiles(_Model):
    """The answer to ``results``."""
    _nested = {"files": [FileInfo]}
    run_id: str = ""
    output_dir: Optional[str] = None
    files: List[FileInfo] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class ReadChunk(_Model):
    """The answer to ``read``: ``data`` as sent (text, or base64 text when encoding is base64)."""
    path: str = ""
    offset: int = 0
    data: str = ""
    encoding: str = "utf8"
    size: int = 0
    eof: bool = True
    length: Optional[int] = None
    next_offset: Optional[int] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class CompareTable(_Model):
    """The answer to ``compare``: a table of runs (rows as lists or objects) and maybe its CSV text."""
    columns: List[str] = field(default_factory=list)
    rows: List[Any] = field(default_factory=list)
    csv: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    def records(self) -> List[Dict[str, Any]]:
        """Rows as dicts keyed by column, whichever shape the server sent."""
        return [r if isinstance(r, dict) else dict(zip(self.columns, r)) for r in self.rows]


@dataclass
class Report(_Model):
    """The answer to ``report``: where the HTML report was written."""
    run_id: str = ""
    path: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Health(_Model):
    """The answer to ``health``."""
    status: str = ""
    version: Optional[str] = None
    uptime_s: Optional[float] = None
    active_runs: Optional[int] = None
    queued_runs: Optional[int] = None
    max_parallel: Optional[int] = None
    workspace: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Subscription(_Model):
    """The answer to ``subscribe``/``unsubscribe``."""
    subscribed: List[str] = field(default_factory=list)
    all: bool = False
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class ServerInfo(_Model):
    """The answer to ``initialize``."""
    serverInfo: Dict[str, Any] = field(default_factory=dict)
    protocol_version: Optional[str] = None
    capabilities: Dict[str, Any] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)


# ---- sweeps --------------------------------------------------------------------------------------------

@dataclass
class SweepBest(_Model):
    """The best completed run of a sweep so far by its ``rank_by`` (``metric`` is that field)."""
    run_id: str = ""
    metric: str = ""
    value: Optional[float] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class SweepProgress(_Model):
    """``sweep/progress``: how many of a sweep's runs are in each status (``running`` counts validating runs
    too), and its best completed run when it has a ``rank_by``."""
    _nested = {"best": SweepBest}
    sweep_id: str = ""
    total: int = 0
    queued: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    best: Optional[SweepBest] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def ended(self) -> int:
        return self.completed + self.failed + self.cancelled

    @property
    def finished(self) -> bool:
        """No run of the sweep is queued or running any more."""
        return self.queued == 0 and self.running == 0

    @property
    def fraction(self) -> Optional[float]:
        return self.ended / self.total if self.total else None

    def counts(self) -> tuple:
        """What a progress display shows; two progress reports with equal counts look the same."""
        best = (self.best.run_id, self.best.value) if self.best else None
        return (self.total, self.queued, self.running, self.completed, self.failed, self.cancelled, best)

    def describe(self) -> str:
        """``4/6 ended (3 completed, 1 failed), 2 running, 0 queued; best metrics.sharpe 1.23 (RUN_ID)``."""
        parts = [f"{self.completed} completed"]
        parts += [f"{n} {what}" for n, what in ((self.failed, "failed"), (self.cancelled, "cancelled")) if n]
        text = (f"{self.ended}/{self.total} ended ({', '.join(parts)}), {self.running} running, "
                f"{self.queued} queued")
        if self.best is not None and self.best.value is not None:
            text += f"; best {self.best.metric} {self.best.value:.4g} ({self.best.run_id})"
        return text


@dataclass
class SweepStatus(SweepProgress):
    """The answer to ``status``/``cancel`` with a ``sweep_id``: the counts of ``sweep/progress`` from the
    runs' records, and the sweep's own facts."""
    script: Optional[str] = None
    created_at: Optional[str] = None
    rank_by: Optional[str] = None


# ---- notifications -------------------------------------------------------------------------------------

@dataclass
class StatusEvent(_Model):
    """``run/status``: one transition of a run."""
    run_id: str = ""
    status: str = ""
    previous: Optional[str] = None
    at: Optional[str] = None
    exit_code: Optional[int] = None
    failure: Optional[str] = None
    error_message: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass
class LogEvent(_Model):
    """``run/log``: a batch of lines; ``dropped`` counts lines the server had to drop before them."""
    _nested = {"lines": [LogLine]}
    run_id: str = ""
    lines: List[LogLine] = field(default_factory=list)
    dropped: Optional[int] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class ProgressEvent(_Model):
    """``run/progress``: from a line that looks like progress."""
    run_id: str = ""
    percent: Optional[float] = None
    current: Optional[float] = None
    total: Optional[float] = None
    message: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> Optional[float]:
        """0..1 when known: from ``percent``, else ``current/total``."""
        if isinstance(self.percent, (int, float)):
            return max(0.0, min(1.0, self.percent / 100.0))
        if isinstance(self.current, (int, float)) and isinstance(self.total, (int, float)) and self.total:
            return max(0.0, min(1.0, self.current / self.total))
        return None


#: The model of each notification the server sends, by method name.
EVENT_TYPES: Dict[str, Type[_Model]] = {"run/status": StatusEvent, "run/log": LogEvent,
                                        "run/progress": ProgressEvent, "sweep/progress": SweepProgress}
