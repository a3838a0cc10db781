"""Windowing helper for utils.indicators, reached only through a relative import."""


def rolling_window(values, width):
    """Yield (index, the width values ending at index) for every full window."""
    if width < 1:
        raise ValueError("width must be at least 1")
    for end in range(width, len(values) + 1):
        yield end - 1, values[end - width:end]
