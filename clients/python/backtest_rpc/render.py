"""Rendering shared by the CLI and the Jupyter magic: key=value parsing, run tables (text and HTML), the
columns of a sweep's ranked table and the equity curve as an SVG (no plotting library needed)."""
from __future__ import annotations

import html
import json
from typing import Any, Dict, Iterable, List, Optional, Sequence

from .types import RunRecord, ValidationIssue

__all__ = ["RUN_COLUMNS", "ISSUE_COLUMNS", "SWEEP_METRICS", "parse_assignments", "cell", "run_rows", "issue_rows",
           "issue_line", "sweep_columns", "text_table", "html_table", "equity_svg"]

RUN_COLUMNS = ["run_id", "status", "script", "created_at", "duration_seconds", "failure", "exit_code"]
ISSUE_COLUMNS = ["severity", "file", "line", "rule", "message"]
#: The metrics a sweep's table shows besides its rank_by field (all of them are in the rows and --json).
SWEEP_METRICS = ["metrics.total_return", "metrics.sharpe", "metrics.max_drawdown", "metrics.trades"]


def parse_assignments(items: Iterable[str]) -> Dict[str, Any]:
    """``["capital=1000000", "strategy=iron_condor", "fast"]`` → ``{"capital": 1000000,
    "strategy": "iron_condor", "fast": True}``. A value that parses as JSON (numbers, true/false/null,
    arrays, objects) is taken as such, anything else as text; a bare ``key`` means True."""
    params: Dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().lstrip("-")
        if not key:
            raise ValueError(f"not key=value: {item!r}")
        if not sep:
            params[key] = True
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def run_rows(runs: Sequence[RunRecord], columns: Sequence[str] = RUN_COLUMNS) -> List[List[str]]:
    return [[cell(r.to_dict().get(c)) for c in columns] for r in runs]


def issue_rows(issues: Sequence[ValidationIssue]) -> List[List[Any]]:
    """One row per finding, in :data:`ISSUE_COLUMNS` order."""
    return [[i.severity, i.file, i.line, i.rule, i.message] for i in issues]


def issue_line(issue: ValidationIssue) -> str:
    """A finding as compilers print one (editors and terminals jump to it):
    ``trades.csv:12: error: pnl is empty [trades.not_null]``."""
    text = f"{issue.severity}: {issue.message}" + (f" [{issue.rule}]" if issue.rule else "")
    return f"{issue.location}: {text}" if issue.location else text


def sweep_columns(rows: Sequence[Dict[str, Any]], rank_field: Optional[str] = None) -> List[str]:
    """The columns worth reading in a sweep's table of flat rows (``tables.record_row``): ``run_id``,
    ``status``, the params that differ between the runs (the ones the sweep varied), the ``rank_by`` field,
    then :data:`SWEEP_METRICS`."""
    names: Dict[str, None] = {}
    for r in rows:
        for k in r:
            if k.startswith("params."):
                names.setdefault(k, None)
    varying = [k for k in names if len({json.dumps(r.get(k), sort_keys=True) for r in rows}) > 1] or list(names)
    out = ["run_id", "status"] + varying
    for c in ([rank_field] if rank_field else []) + SWEEP_METRICS:
        if c not in out:
            out.append(c)
    return out


def text_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned table for terminals."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells if i < len(r)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    for r in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: Optional[str] = None) -> str:
    """An HTML table (escaped) for notebooks."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell(v))}</td>" for v in row) + "</tr>" for row in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="backtest-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def equity_svg(points: Sequence[tuple], width: int = 640, height: int = 240, title: str = "") -> str:
    """A line chart of ``(label, value)`` points (dates and cumulative pnl) as a standalone SVG document."""
    values = [float(v) for _, v in points]
    pad_l, pad_r, pad_t, pad_b = 70, 10, 24 if title else 10, 24
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    n = max(1, len(values) - 1)

    def xy(i: int, v: float) -> str:
        return f"{pad_l + w * i / n:.1f},{pad_t + h * (hi - v) / (hi - lo):.1f}"

    path = " ".join(xy(i, v) for i, v in enumerate(values))
    zero = ""
    if lo < 0 < hi:
        y0 = pad_t + h * hi / (hi - lo)
        zero = f'<line x1="{pad_l}" y1="{y0:.1f}" x2="{pad_l + w}" y2="{y0:.1f}" stroke="#999" stroke-dasharray="4"/>'
    first = html.escape(str(points[0][0])) if points else ""
    last = html.escape(str(points[-1][0])) if points else ""
    head = (f'<text x="{pad_l}" y="16" font-size="13" font-family="sans-serif">{html.escape(title)}</text>'
            if title else "")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f'<rect width="{width}" height="{height}" fill="white"/>{head}'
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>{zero}'
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{path}"/>'
        f'<text x="{pad_l - 4}" y="{pad_t + 10}" font-size="11" text-anchor="end" font-family="sans-serif">'
        f'{hi:,.0f}</text>'
        f'<text x="{pad_l - 4}" y="{pad_t + h}" font-size="11" text-anchor="end" font-family="sans-serif">'
        f'{lo:,.0f}</text>'
        f'<text x="{pad_l}" y="{height - 6}" font-size="11" font-family="sans-serif">{first}</text>'
        f'<text x="{pad_l + w}" y="{height - 6}" font-size="11" text-anchor="end" font-family="sans-serif">'
        f'{last}</text></svg>')
