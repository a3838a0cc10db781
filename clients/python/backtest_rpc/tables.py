"""Result CSVs as tables: a pandas DataFrame when pandas is importable, else a list of dicts."""
from __future__ import annotations

import csv
import io
from typing import Any

__all__ = ["parse_csv"]


def parse_csv(data: bytes) -> Any:
    """CSV bytes → pandas DataFrame if pandas is importable, else rows as dicts (strings)."""
    try:
        import pandas  # type: ignore
    except ImportError:
        pandas = None
    if pandas is not None:
        return pandas.read_csv(io.BytesIO(data))
    text = data.decode("utf-8-sig")
    return [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""))]
