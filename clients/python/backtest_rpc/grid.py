"""A sweep's param sets from command-line words: ``fast=5,10,20 slow=50,100 days=60`` → the grid
``{"fast": [5, 10, 20], "slow": [50, 100]}`` and the fixed params ``{"days": 60}``. Used by the CLI and the
``%backtest sweep`` magic (the Neovim plugin reads the words the same way).

Each comma-separated value is a JSON scalar where it parses as one (``5`` → 5, ``0.5`` → 0.5, ``true`` →
True, ``null`` → None), else text (``iron_condor``); NaN and Infinity are text, as JSON has no such numbers.
A name with one value is a fixed param: the grid holds only what varies.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Tuple

__all__ = ["parse_value", "parse_grid"]


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def parse_value(text: str) -> Any:
    """``"5"`` → 5, ``"0.5"`` → 0.5, ``"true"`` → True, ``"abc"`` → ``"abc"``; arrays and objects stay text."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        return text
    return value if value is None or isinstance(value, (bool, int, float, str)) else text


def parse_grid(words: Iterable[str]) -> Tuple[Dict[str, List[Any]], Dict[str, Any]]:
    """``["fast=5,10", "slow=50", "flag"]`` → ``({"fast": [5, 10]}, {"slow": 50, "flag": True})``.
    ValueError for a word that is not ``name=values`` (or a bare ``name``, which means True) and for a name
    given twice."""
    grid: Dict[str, List[Any]] = {}
    fixed: Dict[str, Any] = {}
    for word in words:
        name, sep, text = word.partition("=")
        name = name.strip().lstrip("-")
        if not name:
            raise ValueError(f"not name=value[,value...]: {word!r}")
        if name in grid or name in fixed:
            raise ValueError(f"{name} is given twice")
        if not sep:
            fixed[name] = True
            continue
        values = [parse_value(v) for v in text.split(",")]
        if len(values) == 1:
            fixed[name] = values[0]
        else:
            grid[name] = values
    return grid, fixed
