"""Moving-window indicators.  Imports a stdlib module and a sibling module (relative import)."""
import math

from .helpers import rolling_window


def sma(values, width):
    """Simple moving average; None where the window is not full yet."""
    out = [None] * len(values)
    for i, window in rolling_window(values, width):
        out[i] = sum(window) / width
    return out


def rolling_std(values, width):
    """Population standard deviation over a moving window; None where it is not full yet."""
    out = [None] * len(values)
    for i, window in rolling_window(values, width):
        mean = sum(window) / width
        out[i] = math.sqrt(sum((v - mean) ** 2 for v in window) / width)
    return out
