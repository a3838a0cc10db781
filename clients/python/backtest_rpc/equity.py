"""A run's equity curve from its pnl.csv, with the capital the server measures it against (docs/metrics.md):
equity_t = capital + cumulative_pnl_t.

The capital is the first positive number among the run's ``capital``, ``cash``, ``initial_capital`` and
``starting_cash`` params, else among the same names in results/metadata.json's ``parameters``, else
1,000,000 (the server's default ``validation.capital``; a workspace that configures another one is not
visible to a client). A numeric string counts: params given on a command line arrive as text.
"""
from __future__ import annotations

import csv
import io
import json
import math
from typing import Any, List, Mapping, Optional, Tuple

__all__ = ["CAPITAL_NAMES", "DEFAULT_CAPITAL", "capital_in", "capital_of", "equity_curve"]

CAPITAL_NAMES = ("capital", "cash", "initial_capital", "starting_cash")
DEFAULT_CAPITAL = 1_000_000.0


def _positive(v: Any) -> Optional[float]:
    if isinstance(v, bool):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) and x > 0 else None


def capital_in(values: Optional[Mapping[str, Any]]) -> Optional[float]:
    """The first positive capital among :data:`CAPITAL_NAMES` in ``values``, or None."""
    for name in CAPITAL_NAMES:
        x = _positive((values or {}).get(name))
        if x is not None:
            return x
    return None


def capital_of(params: Optional[Mapping[str, Any]], metadata_json: Optional[bytes] = None) -> float:
    """The run's capital: from its params, else metadata.json's ``parameters``, else the default."""
    found = capital_in(params)
    if found is None and metadata_json:
        try:
            meta = json.loads(metadata_json.decode("utf-8-sig"))
        except ValueError:
            meta = None
        if isinstance(meta, dict) and isinstance(meta.get("parameters"), dict):
            found = capital_in(meta["parameters"])
    return found if found is not None else DEFAULT_CAPITAL


def equity_curve(pnl_csv: bytes, capital: float) -> List[Tuple[str, float]]:
    """``(date, equity)`` for each pnl.csv row with a number: capital + ``cumulative_pnl``, or + the running
    sum of ``pnl`` when the file has no cumulative column. Column names are matched trimmed and lowercased,
    as the server reads them."""
    reader = csv.reader(io.StringIO(pnl_csv.decode("utf-8-sig")))
    header = [h.strip().lower() for h in next(reader, [])]
    col = {name: i for i, name in enumerate(header)}
    cum_i, pnl_i, date_i = col.get("cumulative_pnl"), col.get("pnl"), col.get("date")
    out: List[Tuple[str, float]] = []
    total = 0.0
    for row in reader:
        date = row[date_i].strip() if date_i is not None and date_i < len(row) else str(len(out))
        i = cum_i if cum_i is not None else pnl_i
        try:
            value = float(row[i]) if i is not None and i < len(row) else math.nan
        except ValueError:
            continue
        if not math.isfinite(value):
            continue
        if cum_i is None:
            total += value
            value = total
        out.append((date, capital + value))
    return out
