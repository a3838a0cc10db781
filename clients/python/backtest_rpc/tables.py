"""Tables for people and notebooks: a pandas DataFrame when pandas is importable, else a list of dicts.

Result CSVs (``parse_csv``) and run records flattened into rows (``record_row``: ``params.<name>``,
``metrics.<name>``, ``summary.<name>``, the names ``rank_by`` and ``where`` use).
"""
from __future__ import annotations

import csv
import io
from typing import Any, Dict, List, Optional, Sequence

from .types import RunRecord

__all__ = ["parse_csv", "record_row", "as_table", "ROW_SOURCES"]

#: The record members a row flattens, in column order.
ROW_SOURCES = ("params", "metrics", "summary")


def _pandas() -> Any:
    try:
        import pandas  # type: ignore
    except ImportError:
        return None
    return pandas


def parse_csv(data: bytes) -> Any:
    """CSV bytes → pandas DataFrame if pandas is importable, else rows as dicts (strings)."""
    pandas = _pandas()
    if pandas is not None:
        return pandas.read_csv(io.BytesIO(data))
    text = data.decode("utf-8-sig")
    return [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""))]


def record_row(record: RunRecord) -> Dict[str, Any]:
    """One run as a flat row: ``run_id``, ``status``, then ``params.<name>``, ``metrics.<name>`` and
    ``summary.<name>`` (a run that did not exit 0 has no metrics or summary)."""
    row: Dict[str, Any] = {"run_id": record.run_id, "status": record.status}
    for source in ROW_SOURCES:
        for name, value in (getattr(record, source) or {}).items():
            row[f"{source}.{name}"] = value
    return row


def _columns(rows: Sequence[Dict[str, Any]]) -> List[str]:
    """Every key of the rows, in first-seen order (rows of failed runs lack the metrics)."""
    seen: Dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


def as_table(rows: Sequence[Dict[str, Any]], columns: Optional[Sequence[str]] = None) -> Any:
    """Rows → a DataFrame (columns in first-seen order, missing cells NaN) when pandas is importable, else
    the rows themselves (a list of dicts)."""
    pandas = _pandas()
    if pandas is None:
        return list(rows)
    return pandas.DataFrame(list(rows), columns=list(columns) if columns is not None else _columns(rows))
