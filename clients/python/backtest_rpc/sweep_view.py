"""A sweep in a notebook (``%backtest sweep``): a live table while it runs, then its runs ranked and the best
runs' equity curves in one chart.

The live table is one display updated in place: the counts and the best run in its caption, and the runs
that have completed so far, best first (by the sweep's ``rank_by``; without one, the latest first). Their
records are fetched as they complete, from the waiting thread, never the client's reader thread. At the end
the same display shows every run ranked, and a chart overlays the equity curves (equity = capital +
cumulative_pnl, ``equity``) of the best ``top``: a matplotlib figure when matplotlib is importable, else an
SVG picture. Only imported inside a kernel (it needs IPython).
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Sequence

from .charts import Series, overlay_figure, overlay_svg
from .equity import capital_in, capital_of, equity_curve
from .errors import BacktestError
from .ranking import RankKey, rank_rows
from .render import html_table, sweep_columns
from .sweep import SweepHandle
from .tables import record_row
from .types import SweepProgress, SweepStatus

__all__ = ["show_sweep", "equity_series", "LIVE_ROWS", "TABLE_ROWS"]

#: Runs the live table shows (the best so far); the final table shows up to TABLE_ROWS.
LIVE_ROWS = 10
TABLE_ROWS = 100


def _rank_field(handle: SweepHandle) -> Optional[str]:
    return RankKey.parse(handle.rank_by).field if handle.rank_by else None


def _table(rows: Sequence[Dict[str, Any]], field: Optional[str], caption: str, limit: int) -> str:
    columns = sweep_columns(rows, field)
    shown = list(rows)[:limit]
    if len(rows) > limit:
        caption += f" (the first {limit} of {len(rows)} runs)"
    return html_table(columns, [[r.get(c) for c in columns] for r in shown], caption=caption)


class _LiveTable:
    """The display that follows the sweep; :meth:`update` is :meth:`SweepHandle.wait`'s progress callback."""

    def __init__(self, handle: SweepHandle):
        from IPython.display import HTML, display
        self._HTML = HTML
        self.handle = handle
        self.rows: Dict[str, Dict[str, Any]] = {}
        self._last = 0.0
        self._display = display(HTML(self._html(None)), display_id=True)

    def _html(self, progress: Optional[SweepProgress]) -> str:
        caption = f"sweep {self.handle.sweep_id}: " + (progress.describe() if progress else "started")
        rows = list(self.rows.values())
        ranked = rank_rows(rows, self.handle.rank_by) if self.handle.rank_by else rows[::-1]
        return _table(ranked, _rank_field(self.handle), caption, LIVE_ROWS)

    def update(self, progress: SweepProgress) -> None:
        now = time.monotonic()
        if now - self._last < 0.25 and not progress.finished:
            return  # a notebook need not redraw faster than people read
        self._last = now
        done = [r for r, s in self.handle.statuses.items() if s == "completed" and r not in self.rows]
        try:
            for record in self.handle.client.records(done, missing_ok=True):
                self.rows[record.run_id] = record_row(record)
        except BacktestError:
            pass  # the counts still show; the final table reads every record again
        self._display.update(self._HTML(self._html(progress)))

    def final(self, rows: List[Dict[str, Any]], status: SweepStatus) -> None:
        caption = f"sweep {self.handle.sweep_id}: {status.describe()}"
        self._display.update(self._HTML(_table(rows, _rank_field(self.handle), caption, TABLE_ROWS)))


def equity_series(handle: SweepHandle, rows: Sequence[Dict[str, Any]]) -> List[Series]:
    """``(label, [(date, equity), ...])`` of each run in ``rows`` that wrote a pnl.csv, labelled by the params
    that differ between them and its rank value; its capital from its params (``params.capital``, ...),
    else its metadata.json, else the default."""
    field = _rank_field(handle)
    varying = [c[len("params."):] for c in sweep_columns(rows) if c.startswith("params.")]
    out: List[Series] = []
    for row in rows:
        run_id = row["run_id"]
        params = {k[len("params."):]: v for k, v in row.items() if k.startswith("params.")}
        try:
            pnl = handle.client.read_file(run_id, "pnl.csv")
            meta = handle.client.read_file(run_id, "metadata.json") if capital_in(params) is None else None
        except BacktestError:
            continue  # a run without pnl.csv (or metadata.json) draws no curve
        out.append((_label(row, varying, field), equity_curve(pnl, capital_of(params, meta))))
    return out


def _label(row: Dict[str, Any], varying: Sequence[str], field: Optional[str]) -> str:
    """``fast=5 slow=50 (sharpe 1.23)``; the run id when no param varies."""
    text = " ".join(f"{k}={row.get('params.' + k)}" for k in varying) or str(row["run_id"])
    value = row.get(field) if field else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text += f" ({field.split('.', 1)[1]} {value:.3g})"  # type: ignore[union-attr]
    return text


def _chart(handle: SweepHandle, rows: List[Dict[str, Any]], top: int) -> None:
    from IPython.display import SVG, display
    best = [r for r in rows if r.get("status") == "completed"][:top]
    series = [s for s in equity_series(handle, best) if s[1]]
    if not series:
        return
    title = f"equity of the best {len(series)} run{'' if len(series) == 1 else 's'}" + (
        f" by {handle.rank_by}" if handle.rank_by else "") + f" — sweep {handle.sweep_id}"
    try:
        figure = overlay_figure(series, title=title)
    except ImportError:
        display(SVG(data=overlay_svg(series, title=title)))
    else:
        display(figure)


def show_sweep(handle: SweepHandle, top: int = 5) -> Optional[SweepStatus]:
    """Follows ``handle`` in the cell until every run ended, then shows the ranked table and the chart of the
    ``top`` best. Interrupting (the stop button) cancels the sweep. Returns the final status (None when
    interrupted)."""
    live = _LiveTable(handle)
    try:
        final = handle.wait(progress=live.update)
    except KeyboardInterrupt:
        print(f"\ninterrupted: cancelling sweep {handle.sweep_id}", flush=True)
        try:
            handle.cancel()
        except BacktestError:
            pass
        return None
    rows = handle.rows()
    live.final(rows, final)
    _chart(handle, rows, top)
    return final
