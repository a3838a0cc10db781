"""Several runs' equity curves in one chart: a matplotlib Figure when matplotlib is importable, else a
standalone SVG document (no plotting library needed).

A series is ``(label, [(date, value), ...])``. The curves share one x axis: the union of their dates, in
order, so runs over different periods sit where they belong.
"""
from __future__ import annotations

import datetime as dt
import html
from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["Series", "COLORS", "overlay_svg", "overlay_figure"]

Series = Tuple[str, Sequence[Tuple[str, float]]]

#: matplotlib's default cycle, so both renderings look alike.
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf"]


def _axis(series: Sequence[Series]) -> Dict[str, int]:
    """Each date's position on the shared x axis."""
    dates = sorted({d for _, points in series for d, _ in points})
    return {d: i for i, d in enumerate(dates)}


def overlay_svg(series: Sequence[Series], width: int = 720, height: int = 300, title: str = "") -> str:
    """The curves as one SVG: a polyline each, the value range on the left, the first and last date below,
    and a legend (label per color) on the right."""
    series = [(label, list(points)) for label, points in series if points]
    values = [v for _, points in series for _, v in points]
    legend_w = 230
    pad_l, pad_r, pad_t, pad_b = 80, legend_w, 24 if title else 10, 24
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    x_of = _axis(series)
    n = max(1, len(x_of) - 1)
    dates = sorted(x_of)
    font = 'font-family="sans-serif"'
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">', f'<rect width="{width}" height="{height}" fill="white"/>']
    if title:
        parts.append(f'<text x="{pad_l}" y="16" font-size="13" {font}>{html.escape(title)}</text>')
    parts.append(f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>')
    for k, (label, points) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        path = " ".join(f"{pad_l + w * x_of[d] / n:.1f},{pad_t + h * (hi - v) / (hi - lo):.1f}" for d, v in points)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{path}">'
                     f'<title>{html.escape(label)}</title></polyline>')
        y = pad_t + 12 + 16 * k
        parts.append(f'<line x1="{width - legend_w + 10}" y1="{y - 4}" x2="{width - legend_w + 30}" y2="{y - 4}" '
                     f'stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{width - legend_w + 36}" y="{y}" font-size="11" {font}>{html.escape(label)}</text>')
    parts.append(f'<text x="{pad_l - 4}" y="{pad_t + 10}" font-size="11" text-anchor="end" {font}>{hi:,.0f}</text>')
    parts.append(f'<text x="{pad_l - 4}" y="{pad_t + h}" font-size="11" text-anchor="end" {font}>{lo:,.0f}</text>')
    if dates:
        parts.append(f'<text x="{pad_l}" y="{height - 6}" font-size="11" {font}>{html.escape(dates[0])}</text>')
        parts.append(f'<text x="{pad_l + w}" y="{height - 6}" font-size="11" text-anchor="end" {font}>'
                     f'{html.escape(dates[-1])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _as_dates(labels: Sequence[str]) -> Optional[List[dt.date]]:
    """The labels as dates when every one starts with YYYY-MM-DD, else None (then positions are used)."""
    try:
        return [dt.date.fromisoformat(s[:10]) for s in labels]
    except ValueError:
        return None


def overlay_figure(series: Sequence[Series], title: str = "") -> Any:
    """The curves as a matplotlib Figure (made without pyplot, so no global state or window); ImportError
    when matplotlib is not installed."""
    from matplotlib.figure import Figure  # type: ignore

    fig = Figure(figsize=(9, 4))
    ax = fig.add_subplot()
    x_of = _axis(series)
    for k, (label, points) in enumerate(series):
        labels = [d for d, _ in points]
        xs: Any = _as_dates(labels) or [x_of[d] for d in labels]
        ax.plot(xs, [v for _, v in points], label=label, color=COLORS[k % len(COLORS)], linewidth=1.2)
    ax.set_ylabel("equity")
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.autofmt_xdate()
    return fig
