"""Server-rendered SVG charts from plain numbers.

No script, no inline style: every chart is an <svg role="img"> with a <title> and a <desc> (its
text alternative), drawn with presentation attributes and classes that static/css/charts.css
styles, so the pages work offline and under a strict Content-Security-Policy. The functions take
numbers and words and return markup; they know nothing of models or the database.
"""
import math
from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 400, 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 14, 16, 44
# The public line charts set larger text (static/css/charts.css, legible on a phone): wider room
# for the y tick labels, and a top margin where the band's label sits clear of the curve.
LINE_MARGIN_LEFT, LINE_MARGIN_TOP = 70, 28

_ids = count(1)


def number(value: float, digits: int = 0) -> str:
    """1,234 or −5.2: thousands separators and a true minus sign, for labels people read."""
    text = f"{abs(value):,.{digits}f}"
    return ("−" + text) if round(value, digits) < 0 else text


def amount(value: float) -> str:
    """An input as people write it: 20, 12.5, −5.2 (at most one decimal, none when whole)."""
    return number(value, 0 if round(value, 1) == round(value) else 1)


def signed(value: float) -> str:
    return ("+" if round(value) > 0 else "") + number(value)


@dataclass(frozen=True)
class Scale:
    """A linear map from data values (domain) to SVG coordinates (range)."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, value: float) -> float:
        span = self.d1 - self.d0 or 1.0
        return round(self.r0 + (value - self.d0) / span * (self.r1 - self.r0), 2)


def nice_ticks(low: float, high: float, target: int = 5, *, whole: bool = False) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [low, high]; whole: counts,
    so no step below 1 (a tick of 0.5 would print as a second "0" or "1")."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(target - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if whole:
        step = max(step, 1)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _open(chart_id: str, title: str, description: str, css: str) -> list[str]:
    return [
        f'<svg class="chart {css}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def _text(x: float, y: float, label: str, css: str, anchor: str = "middle") -> str:
    return f'<text x="{x}" y="{y}" class="{css}" text-anchor="{anchor}">{escape(label)}</text>'


def _y_axis(scale: Scale, ticks: list[float], label: str, digits: int = 0, left: float = MARGIN_LEFT,
            top: float = MARGIN_TOP) -> list[str]:
    parts = []
    for tick in ticks:
        y = scale(tick)
        parts.append(f'<line x1="{left}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y}" y2="{y}" class="chart-grid"/>')
        parts.append(_text(left - 6, y + 4, number(tick, digits), "chart-tick", "end"))
    parts.append(f'<text class="chart-axis-label" text-anchor="middle" '
                 f'transform="translate(12 {(top + HEIGHT - MARGIN_BOTTOM) / 2}) rotate(-90)">{escape(label)}</text>')
    return parts


def _x_axis(scale: Scale, ticks: list[tuple[float, str]], label: str, left: float = MARGIN_LEFT) -> list[str]:
    base = HEIGHT - MARGIN_BOTTOM
    parts = [f'<line x1="{left}" x2="{WIDTH - MARGIN_RIGHT}" y1="{base}" y2="{base}" class="chart-axis"/>']
    for value, text in ticks:
        x = scale(value)
        parts.append(f'<line x1="{x}" x2="{x}" y1="{base}" y2="{base + 4}" class="chart-axis"/>')
        parts.append(_text(x, base + 16, text, "chart-tick"))
    parts.append(_text((left + WIDTH - MARGIN_RIGHT) / 2, HEIGHT - 6, label, "chart-axis-label"))
    return parts


def _band(x_scale: Scale, low: float, high: float, label: str,
          left: float = MARGIN_LEFT, top: float = MARGIN_TOP) -> list[str]:
    """The shaded training range, clipped to the plot, and its label (drawn after it, for charts whose
    bars would hide a label: the caller appends the last element after its marks)."""
    x0 = max(x_scale(low), left)
    x1 = min(x_scale(high), WIDTH - MARGIN_RIGHT)
    if x1 <= x0:
        return []
    height = HEIGHT - MARGIN_BOTTOM - top
    return [
        f'<rect x="{x0}" y="{top}" width="{round(x1 - x0, 2)}" height="{height}" class="chart-band"/>',
        # At the top: in the margin above the plot, clear of any bar or curve.
        _text(round((x0 + x1) / 2, 2), top - 3, label, "chart-band-label"),
    ]


def _plot_x(left: float = MARGIN_LEFT) -> tuple[float, float]:
    return left, WIDTH - MARGIN_RIGHT


def _plot_y(top: float = MARGIN_TOP) -> tuple[float, float]:
    return HEIGHT - MARGIN_BOTTOM, top


def line_chart(*, xs: list[float], ys: list[float], x_label: str, y_label: str, title: str, description: str,
               band: tuple[float, float] | None = None, band_label: str = "trained on",
               marker: tuple[float, float] | None = None,
               interval: tuple[list[float], list[float]] | None = None, x_digits: int = 0,
               y_top: float = 0.0) -> SafeString:
    """A line of ys against xs, an optional shaded x band, an optional pale interval (lows, highs)
    around the line, and an optional marked point (named in the page's legend, not on the chart).

    The y axis runs from 0 to at least y_top: charts meant to be compared pass the same y_top.
    The only label drawn inside the chart, the band's, sits above the plot, where no curve goes.
    """
    chart_id = f"chart-{next(_ids)}"
    left, top = LINE_MARGIN_LEFT, LINE_MARGIN_TOP
    x_scale = Scale(xs[0], xs[-1], *_plot_x(left))
    y_ticks = nice_ticks(0.0, max(max(ys), max(interval[1]) if interval else 0.0, y_top, 1.0))
    y_scale = Scale(0.0, y_ticks[-1], *_plot_y(top))
    x_ticks = [t for t in nice_ticks(xs[0], xs[-1], 6) if xs[0] <= t <= xs[-1]]
    parts = _open(chart_id, title, description, "chart--line")
    if band:
        parts += _band(x_scale, *band, band_label, left=left, top=top)
    parts += _y_axis(y_scale, y_ticks, y_label, left=left, top=top)
    parts += _x_axis(x_scale, [(t, number(t, x_digits)) for t in x_ticks], x_label, left=left)
    if interval:
        outline = list(zip(xs, interval[0])) + list(zip(reversed(xs), reversed(interval[1])))
        parts.append('<polygon points="' + " ".join(f"{x_scale(x)},{y_scale(y)}" for x, y in outline)
                     + '" class="chart-interval"/>')
    points = " ".join(f"{x_scale(x)},{y_scale(y)}" for x, y in zip(xs, ys))
    parts.append(f'<polyline points="{points}" class="chart-line" fill="none"/>')
    if marker:
        mx, my = x_scale(marker[0]), y_scale(marker[1])
        parts.append(f'<circle cx="{mx}" cy="{my}" r="6" class="chart-point"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_chart(*, items: list[tuple[str, float]], title: str, description: str, value_label=number) -> SafeString:
    """Horizontal bars, one per (label, value), growing right from zero, or left when negative."""
    chart_id = f"chart-{next(_ids)}"
    row, label_width = 30, 120
    height = MARGIN_TOP + row * len(items) + 10
    low = min([0.0] + [v for _, v in items])
    high = max([0.0] + [v for _, v in items])
    # Room beside the bars for their value labels: on the left of negative ones, the right of others.
    room = 60
    scale = Scale(low, high if high > low else low + 1.0, label_width + (room if low < 0 else 0),
                  WIDTH - MARGIN_RIGHT - (room if high > 0 or low == high else 0))
    parts = [
        f'<svg class="chart chart--bars" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    zero = scale(0.0)
    for index, (label, value) in enumerate(items):
        y = MARGIN_TOP + index * row
        x0, x1 = sorted((zero, scale(value)))
        css = "chart-bar chart-bar--down" if value < 0 else "chart-bar"
        parts.append(_text(label_width - 8, y + 17, label, "chart-tick", "end"))
        parts.append(f'<rect x="{x0}" y="{y + 4}" width="{max(round(x1 - x0, 2), 1)}" height="{row - 10}" class="{css}"/>')
        if value < 0:
            parts.append(_text(x0 - 5, y + 17, value_label(value), "chart-value", "end"))
        else:
            parts.append(_text(x1 + 5, y + 17, value_label(value), "chart-value", "start"))
    parts.append(f'<line x1="{zero}" x2="{zero}" y1="{MARGIN_TOP}" y2="{height - 10}" class="chart-axis"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def stacked_columns(*, labels: list[str], series: list[tuple[str, str, list[int]]], title: str, description: str,
                    y_label: str, x_label: str = "") -> SafeString:
    """Columns per label (e.g. days), stacked by series (name, css class suffix, values), with a legend."""
    chart_id = f"chart-{next(_ids)}"
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    y_ticks = nice_ticks(0.0, max(totals + [1]), whole=True)
    y_scale = Scale(0.0, y_ticks[-1], *_plot_y())
    left, right = _plot_x()
    slot = (right - left) / max(len(labels), 1)
    parts = _open(chart_id, title, description, "chart--columns")
    parts += _y_axis(y_scale, y_ticks, y_label)
    base = HEIGHT - MARGIN_BOTTOM
    parts.append(f'<line x1="{left}" x2="{right}" y1="{base}" y2="{base}" class="chart-axis"/>')
    for index in range(len(labels)):
        x = round(left + index * slot + slot * 0.1, 2)
        stacked = 0
        for _, css, values in series:
            if values[index]:
                y_top, y_bottom = y_scale(stacked + values[index]), y_scale(stacked)
                parts.append(f'<rect x="{x}" y="{y_top}" width="{round(slot * 0.8, 2)}" '
                             f'height="{round(y_bottom - y_top, 2)}" class="chart-series chart-series--{css}"/>')
                stacked += values[index]
    every = max(1, math.ceil(len(labels) / 6))
    for index in range(0, len(labels), every):
        parts.append(_text(round(left + (index + 0.5) * slot, 2), base + 16, labels[index], "chart-tick"))
    if x_label:
        parts.append(_text((left + right) / 2, HEIGHT - 6, x_label, "chart-axis-label"))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def histogram(*, edges: list[float], counts: list[int], title: str, description: str, x_label: str,
              band: tuple[float, float] | None = None, band_label: str = "trained on", x_digits: int = 0) -> SafeString:
    """Counts per bin [edges[i], edges[i+1]) with the training range shaded."""
    chart_id = f"chart-{next(_ids)}"
    x_scale = Scale(edges[0], edges[-1], *_plot_x())
    y_ticks = nice_ticks(0.0, max(counts + [1]), whole=True)
    y_scale = Scale(0.0, y_ticks[-1], *_plot_y())
    parts = _open(chart_id, title, description, "chart--histogram")
    band_parts = _band(x_scale, *band, band_label) if band else []
    parts += band_parts[:1]
    parts += _y_axis(y_scale, y_ticks, "predictions")
    x_ticks = [t for t in nice_ticks(edges[0], edges[-1], 7) if edges[0] <= t <= edges[-1]]
    parts += _x_axis(x_scale, [(t, number(t, x_digits)) for t in x_ticks], x_label)
    for low, high, value in zip(edges, edges[1:], counts):
        if value:
            x0, x1, y = x_scale(low), x_scale(high), y_scale(value)
            parts.append(f'<rect x="{x0 + 0.5}" y="{y}" width="{max(round(x1 - x0 - 1, 2), 1)}" '
                         f'height="{round(y_scale(0) - y, 2)}" class="chart-series"/>')
    parts += band_parts[1:]  # the band's label above the bars
    parts.append("</svg>")
    return mark_safe("".join(parts))
