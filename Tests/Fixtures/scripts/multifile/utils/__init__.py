"""Indicators for the multifile example strategy (a regular package on purpose)."""
from .indicators import sma, rolling_std

__all__ = ["sma", "rolling_std"]
