"""Charts as inline SVG, drawn on the server: no JavaScript library, nothing fetched from anywhere.

Every chart is an ``<svg class="chart">`` whose ``data-marks`` attribute counts the data marks it
drew (bars, points, cells, tiles), and every mark carries a ``<title>``, which browsers show as a
tooltip. Values are formatted by the caller's ``fmt`` (INR, counts, shares).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

Formatter = Callable[[float], str]

PALETTE = ("#2f6db5", "#e07b39", "#3a9b6e", "#c2455a", "#7a5cb8", "#b59a2f", "#4aa3b8", "#8c6d5a", "#6b7b8c", "#d46fb0")
WIDTH = 560
ROW_HEIGHT = 22


def _label_width(labels: Sequence[str], minimum: float = 60, maximum: float = 340) -> float:
    """Room for the longest label at 11 px (about 6.2 px a character), within bounds."""
    return min(max(6.2 * max((len(label) for label in labels), default=0) + 16, minimum), maximum)


def _fit(label: str, room: float) -> str:
    characters = int(room / 6.2)
    return label if len(label) <= characters else label[: characters - 1] + "…"


def _present(value: float | None) -> bool:
    """A value to draw: None and NaN (pandas' missing value) are left out, never drawn as zero."""
    return value is not None and not math.isnan(value)


def _text(x: float, y: float, content: str, anchor: str = "start", css: str = "label") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{html.escape(content)}</text>'


def _svg(name: str, height: float, marks: int, body: list[str], width: int = WIDTH) -> str:
    return (
        f'<svg class="chart" data-chart="{html.escape(name)}" data-marks="{marks}" viewBox="0 0 {width} {height:.0f}" '
        f'width="100%" style="max-width: {1.6 * width:.0f}px" role="img" aria-label="{html.escape(name)}">{"".join(body)}</svg>'
    )


def _empty(name: str) -> str:
    return f'<p class="empty" data-chart="{html.escape(name)}">No data for these filters.</p>'


def _legend(series: Sequence[str], y: float) -> list[str]:
    parts, x = [], 10.0
    for index, label in enumerate(series):
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>')
        parts.append(_text(x + 14, y, label))
        x += 24 + 7 * len(label)
    return parts


def hbar(name: str, labels: Sequence[str], series: dict[str, Sequence[float]], fmt: Formatter, stacked: bool = True) -> str:
    """Horizontal bars, one row per label; several series are stacked (or grouped when ``stacked`` is False)."""
    if not labels:
        return _empty(name)
    names = list(series)
    present = [[series[s][i] for s in names if _present(series[s][i])] for i in range(len(labels))]
    totals = [(sum(values) if stacked else max(values)) if values else float("nan") for values in present]
    peak = max([t for t in totals if _present(t)], default=0.0) or 1.0
    left, right = _label_width(labels), 90
    width = max(WIDTH, left + 360)
    span = width - left - right
    lanes = 1 if stacked else len(names)
    row = ROW_HEIGHT if lanes == 1 else 12 * lanes + 6
    top = 24 if len(names) > 1 else 6
    body = _legend(names, 14) if len(names) > 1 else []
    marks = 0
    for i, label in enumerate(labels):
        y = top + i * row
        body.append(_text(left - 6, y + row / 2 + 4, _fit(label, left - 10), "end"))
        offset = 0.0
        for lane, series_name in enumerate(names):
            value = series[series_name][i]
            if not _present(value):
                continue
            length = span * value / peak
            bar_y, bar_h = (y + 3, row - 6) if stacked else (y + 3 + lane * 12, 10)
            x = left + (offset if stacked else 0)
            tip = f"{label} · {series_name}: {fmt(value)}" if len(names) > 1 else f"{label}: {fmt(value)}"
            body.append(
                f'<rect class="mark" x="{x:.1f}" y="{bar_y:.1f}" width="{max(length, 0.5):.1f}" height="{bar_h}" '
                f'fill="{PALETTE[lane % len(PALETTE)]}"><title>{html.escape(tip)}</title></rect>'
            )
            marks += 1
            offset += length if stacked else 0
        end = span * totals[i] / peak if _present(totals[i]) else 0.0
        body.append(_text(left + end + 6, y + row / 2 + 4, fmt(totals[i]) if _present(totals[i]) else "no data", css="value"))
    return _svg(name, top + len(labels) * row + 6, marks, body, width=round(width))


def vbar(name: str, labels: Sequence[str], series: dict[str, Sequence[float]], fmt: Formatter) -> str:
    """Vertical grouped bars: one group per label, one bar per series."""
    if not labels:
        return _empty(name)
    names = list(series)
    peak = max([v for values in series.values() for v in values if _present(v)], default=0.0) or 1.0
    left, bottom, top = 70, 40, 28 if len(names) > 1 else 12
    height = 240
    plot_h = height - top - bottom
    group = (WIDTH - left - 10) / len(labels)
    bar = max(min(group * 0.8 / len(names), 48), 2)
    body = _legend(names, 14) if len(names) > 1 else []
    body += _axis(left, top, plot_h, peak, fmt)
    marks = 0
    for i, label in enumerate(labels):
        x0 = left + i * group + (group - bar * len(names)) / 2
        for lane, series_name in enumerate(names):
            value = series[series_name][i]
            if not _present(value):
                continue
            h = plot_h * value / peak
            tip = f"{label} · {series_name}: {fmt(value)}" if len(names) > 1 else f"{label}: {fmt(value)}"
            body.append(
                f'<rect class="mark" x="{x0 + lane * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{max(h, 0.5):.1f}" fill="{PALETTE[lane % len(PALETTE)]}"><title>{html.escape(tip)}</title></rect>'
            )
            marks += 1
        if len(labels) <= 16 or i % math.ceil(len(labels) / 16) == 0:
            body.append(_text(left + i * group + group / 2, top + plot_h + 16, label[:12], "middle"))
    return _svg(name, height, marks, body)


def _axis(left: float, top: float, plot_h: float, peak: float, fmt: Formatter, ticks: int = 4) -> list[str]:
    parts = []
    for step in range(ticks + 1):
        value = peak * step / ticks
        y = top + plot_h - plot_h * step / ticks
        parts.append(f'<line class="grid" x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(_text(left - 6, y + 4, fmt(value), "end", css="tick"))
    return parts


def line(name: str, labels: Sequence[str], series: dict[str, Sequence[float]], fmt: Formatter) -> str:
    """One line per series over ordered labels (days, months), with a point per value."""
    if not labels:
        return _empty(name)
    names = list(series)
    peak = max([v for values in series.values() for v in values if _present(v)], default=0.0) or 1.0
    left, bottom, top, height = 70, 40, 28 if len(names) > 1 else 12, 240
    plot_h = height - top - bottom
    step = (WIDTH - left - 20) / max(len(labels) - 1, 1)
    body = _legend(names, 14) if len(names) > 1 else []
    body += _axis(left, top, plot_h, peak, fmt)
    marks = 0
    for lane, series_name in enumerate(names):
        colour = PALETTE[lane % len(PALETTE)]
        drawn = [(i, v) for i, v in enumerate(series[series_name]) if _present(v)]
        points = [(left + i * step, top + plot_h - plot_h * v / peak) for i, v in drawn]
        body.append(f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}"/>')
        for (x, y), (i, value) in zip(points, drawn, strict=True):
            label = labels[i]
            body.append(f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>{html.escape(f"{label} · {series_name}: {fmt(value)}")}</title></circle>')
            marks += 1
    every = math.ceil(len(labels) / 8)
    last = len(labels) - 1
    for i, label in enumerate(labels):
        # The last label always shows; a regular one too close before it would print over it.
        if i == last or (i % every == 0 and (last - i) >= every / 2):
            body.append(_text(left + i * step, top + plot_h + 16, label, "middle"))
    return _svg(name, height, marks, body)


def heatmap(name: str, rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]], fmt: Formatter, diverging: bool = False) -> str:
    """A table of coloured cells, blank where a value is missing; ``diverging`` centres the colours on
    zero (blue below, red above)."""
    cells = [v for row in values for v in row if _present(v)]
    if not rows or not columns or not cells:
        return _empty(name)
    left, top = _label_width(rows), 40
    # Wide enough for the longest column header and the formatted values.
    cell_w = min(max(6.2 * max(len(c) for c in columns) + 10, 6.2 * max(len(fmt(v)) for v in cells) + 10, 48), 120)
    cell_h = ROW_HEIGHT + 4
    peak = max(abs(v) for v in cells) or 1.0
    body = [_text(left + (j + 0.5) * cell_w, top - 10, _fit(column, cell_w), "middle") for j, column in enumerate(columns)]
    marks = 0
    for i, row_label in enumerate(rows):
        y = top + i * cell_h
        body.append(_text(left - 6, y + cell_h / 2 + 4, _fit(row_label, left - 10), "end"))
        for j, value in enumerate(values[i]):
            if not _present(value):
                continue
            strength = abs(value) / peak
            hue = (4 if value > 0 else 212) if diverging else 212
            fill = f"hsl({hue}, 62%, {96 - 46 * strength:.0f}%)"
            text_css = "cell-dark" if strength > 0.6 else "cell"
            x = left + j * cell_w
            body.append(
                f'<rect class="mark" x="{x:.1f}" y="{y:.1f}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" fill="{fill}">'
                f"<title>{html.escape(f'{row_label} · {columns[j]}: {fmt(value)}')}</title></rect>"
            )
            body.append(_text(x + cell_w / 2 - 1, y + cell_h / 2 + 3, fmt(value), "middle", css=text_css))
            marks += 1
    return _svg(name, top + len(rows) * cell_h + 6, marks, body, width=round(left + len(columns) * cell_w + 10))


def squarify(values: Sequence[float], x: float, y: float, width: float, height: float) -> list[tuple[float, float, float, float]]:
    """Squarified treemap layout (Bruls, Huizing, van Wijk): one rectangle per value, areas in
    proportion to the values, which must be positive and sorted from largest to smallest."""
    total = sum(values)
    scale = width * height / total if total else 0.0
    areas = [v * scale for v in values]
    rectangles: list[tuple[float, float, float, float]] = []
    start = 0
    while start < len(areas):
        short = min(width, height)
        end = start + 1
        while end < len(areas) and _worst(areas[start : end + 1], short) <= _worst(areas[start:end], short):
            end += 1
        row = areas[start:end]
        thickness = sum(row) / short
        position = 0.0
        for area in row:
            length = area / thickness
            if width >= height:  # lay the row along the left edge, top to bottom
                rectangles.append((x, y + position, thickness, length))
            else:  # along the top edge, left to right
                rectangles.append((x + position, y, length, thickness))
            position += length
        if width >= height:
            x, width = x + thickness, width - thickness
        else:
            y, height = y + thickness, height - thickness
        start = end
    return rectangles


def _worst(row: Sequence[float], short: float) -> float:
    total = sum(row)
    return max(max(short * short * area / (total * total), total * total / (short * short * area)) for area in row)


def treemap(name: str, labels: Sequence[str], values: Sequence[float], fmt: Formatter) -> str:
    pairs = sorted(((v, label) for v, label in zip(values, labels, strict=True) if v > 0), reverse=True)
    if not pairs:
        return _empty(name)
    height = 300
    body = []
    for index, ((value, label), (x, y, w, h)) in enumerate(zip(pairs, squarify([v for v, _ in pairs], 0, 0, WIDTH, height), strict=True)):
        body.append(
            f'<rect class="mark" x="{x:.1f}" y="{y:.1f}" width="{max(w - 1, 0.5):.1f}" height="{max(h - 1, 0.5):.1f}" '
            f'fill="{PALETTE[index % len(PALETTE)]}"><title>{html.escape(f"{label}: {fmt(value)}")}</title></rect>'
        )
        if w > 60 and h > 28:
            body.append(_text(x + 5, y + 15, label[: int(w / 7)], css="tile"))
            body.append(_text(x + 5, y + 29, fmt(value), css="tile"))
    return _svg(name, height, len(pairs), body)
