"""Ranking runs the way the server ranks a sweep's best run (``rank_by``), so a client's ranked table and the
server's ``best`` always agree.

A ``rank_by`` is a field (``metrics.<name>``, ``summary.<name>`` or ``params.<name>``) and a direction:
descending unless ``asc`` follows (bigger is better for most metrics; ``max_drawdown`` is negative, so its best
is its largest too). A value counts when it is a finite number, or a string that reads as one (params given
on a command line arrive as text). Runs without a value (failed runs have no metrics) come last, in their
order; equal values keep their order, so the first of equally good runs is the best, as on the server.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

__all__ = ["RankKey", "rank_rows"]

_SOURCES = ("metrics", "summary", "params")


@dataclass(frozen=True)
class RankKey:
    """A parsed ``rank_by``: ``field`` (``metrics.sharpe``) and ``ascending``."""
    field: str
    ascending: bool = False

    @classmethod
    def parse(cls, text: str) -> "RankKey":
        """``"metrics.sharpe"``, ``"summary.total_pnl asc"``; ValueError for anything the server would refuse."""
        words = str(text).split()
        source, _, name = words[0].partition(".") if words else ("", "", "")
        if len(words) not in (1, 2) or source not in _SOURCES or not name or "." in name:
            raise ValueError(f"rank_by {text!r}: a field metrics.<name>, summary.<name> or params.<name>, "
                             "then asc or desc")
        if len(words) == 2 and words[1].lower() not in ("asc", "desc"):
            raise ValueError(f"rank_by {text!r}: the direction is asc or desc")
        return cls(words[0], len(words) == 2 and words[1].lower() == "asc")

    def value(self, row: Mapping[str, Any]) -> Optional[float]:
        """The field's number in a flat row (``{"metrics.sharpe": 1.2, ...}``), or None."""
        return _number(row.get(self.field))


def _number(v: Any) -> Optional[float]:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return None
    if not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def rank_rows(rows: Sequence[Dict[str, Any]], rank_by: Optional[str]) -> List[Dict[str, Any]]:
    """The rows best first by ``rank_by`` (None: as they are)."""
    if not rank_by:
        return list(rows)
    key = RankKey.parse(rank_by)
    valued = [(key.value(r), i, r) for i, r in enumerate(rows)]
    ranked = sorted((t for t in valued if t[0] is not None),
                    key=lambda t: (t[0] if key.ascending else -t[0], t[1]))  # type: ignore[operator]
    return [r for _, _, r in ranked] + [r for v, _, r in valued if v is None]
