"""Report charts as plain SVG, drawn on the server: no script, no inline style (strict CSP).

Each chart is an <svg role="img"> with a <title> and a <desc> that says the numbers in
words (screen readers read those, not the shapes); the viewBox scales it to any width, and
the text stays large enough to read on a phone. Colours are presentation attributes with
contrast against white; every bar also has a <title> (its tooltip).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from itertools import count

# A narrow canvas with large text: on a phone (about 360 px) the text is still ~13 px high.
WIDTH = 480
FONT = 18
PALETTE = ("#1f6feb", "#b35900", "#8250df", "#6e7781")  # served, person, abandoned, open
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    colour: str


def _svg(title: str, description: str, height: int, body: list[str]) -> str:
    number = next(_ids)
    title_id, desc_id = f"chart{number}-title", f"chart{number}-desc"
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def stacked_columns(title: str, labels: Sequence[str], series: Sequence[Series], *, every: int = 1) -> str:
    """One column per label (e.g. a day), stacked by series (e.g. outcomes), with a legend.

    `every` labels only each n-th column, so a month of days stays readable on a phone."""
    legend, legend_h = _legend(series)
    height, top, left = 250 + legend_h, 20, 44
    bottom = 40 + legend_h
    plot_h = height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    slot = (WIDTH - left - 10) / max(len(labels), 1)
    bar = max(slot * 0.7, 1.0)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - 10}" y2="{top + plot_h}" stroke="#444" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + FONT / 2}" text-anchor="end" font-size="{FONT}" fill="#333">{_number(peak)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="{FONT}" fill="#333">0</text>',
    ]
    for index, label in enumerate(labels):
        x = left + index * slot + (slot - bar) / 2
        y = top + plot_h
        parts = []
        for s in series:
            value = s.values[index]
            if value <= 0:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(f"{s.name} {_number(value)}")
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{s.colour}">'
                f"<title>{escape(label)}: {escape(s.name)} {_number(value)}</title></rect>"
            )
        if index % every == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + FONT + 4}" text-anchor="middle" '
                f'font-size="{FONT}" fill="#333">{escape(label)}</text>'
            )
    body += legend_at(legend, top + plot_h + FONT + 14)
    description = "; ".join(
        f"{label}: " + ", ".join(f"{s.name} {_number(s.values[i])}" for s in series)
        for i, label in enumerate(labels)
    )
    return _svg(title, description or "no data", height, body)


def _legend(series: Sequence[Series]) -> tuple[list[tuple[float, int, Series]], int]:
    """Where each legend entry goes: (x, row, series), wrapping into rows; and the height taken."""
    placed, x, row = [], 10.0, 0
    for s in series:
        width = FONT + 8 + len(s.name) * FONT * 0.55 + 16
        if x + width > WIDTH and x > 10:
            x, row = 10.0, row + 1
        placed.append((x, row, s))
        x += width
    return placed, (row + 1) * (FONT + 8) if series else 0


def legend_at(placed: list[tuple[float, int, Series]], top: float) -> list[str]:
    body = []
    for x, row, s in placed:
        y = top + row * (FONT + 8) + FONT
        body.append(f'<rect x="{x:.0f}" y="{y - FONT + 2:.0f}" width="{FONT}" height="{FONT}" fill="{s.colour}"/>')
        body.append(f'<text x="{x + FONT + 6:.0f}" y="{y:.0f}" font-size="{FONT}" fill="#333">{escape(s.name)}</text>')
    return body


def horizontal_bars(title: str, rows: Sequence[tuple[str, float]], *, unit: str = "", colour: str = PALETTE[0]) -> str:
    """One labelled bar per row (reasons, intents): long labels fit, which columns would not."""
    row_h, label_w = 34, 190
    height = max(len(rows), 1) * row_h + 10
    peak = max((value for _, value in rows), default=0) or 1
    body: list[str] = []
    for index, (label, value) in enumerate(rows):
        y = 5 + index * row_h
        w = (WIDTH - label_w - 70) * value / peak
        body.append(
            f'<text x="{label_w - 8}" y="{y + row_h * 0.65:.0f}" text-anchor="end" font-size="{FONT}" '
            f'fill="#333">{escape(_short(label))}</text>'
        )
        body.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row_h - 10}" fill="{colour}">'
            f"<title>{escape(label)}: {_number(value)}{unit}</title></rect>"
        )
        body.append(
            f'<text x="{label_w + max(w, 1) + 6:.1f}" y="{y + row_h * 0.65:.0f}" font-size="{FONT}" '
            f'fill="#333">{_number(value)}{escape(unit)}</text>'
        )
    description = "; ".join(f"{label}: {_number(value)}{unit}" for label, value in rows)
    return _svg(title, description or "no data", height, body)


def _short(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def line(title: str, labels: Sequence[str], values: Sequence[float | None], *, percent: bool = True, every: int = 1) -> str:
    """A line over the labels (e.g. the self-service rate per day); gaps where a value is None."""
    height, top, bottom, left = 240, 20, 40, 60
    plot_h = height - top - bottom
    slot = (WIDTH - left - 40) / max(len(labels) - 1, 1)  # room for the last label
    peak = 1.0 if percent else (max((v for v in values if v is not None), default=0) or 1)

    def fmt(value: float) -> str:
        return f"{value * 100:.0f} %" if percent else _number(value)

    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - 10}" y2="{top + plot_h}" stroke="#444" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + FONT / 2}" text-anchor="end" font-size="{FONT}" fill="#333">{fmt(peak)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="{FONT}" fill="#333">{fmt(0)}</text>',
    ]
    points: list[str] = []
    segments: list[list[str]] = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * slot
        if value is None:
            if points:
                segments.append(points)
            points = []
        else:
            y = top + plot_h - plot_h * value / peak
            points.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}"><title>{escape(label)}: {fmt(value)}</title></circle>'
            )
        if index % every == 0:
            body.append(
                f'<text x="{x:.1f}" y="{top + plot_h + FONT + 4}" text-anchor="middle" font-size="{FONT}" '
                f'fill="#333">{escape(label)}</text>'
            )
    if points:
        segments.append(points)
    for segment in segments:
        body.insert(0, f'<polyline points="{" ".join(segment)}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    description = "; ".join(
        f"{label}: {'no data' if value is None else fmt(value)}" for label, value in zip(labels, values, strict=True)
    )
    return _svg(title, description or "no data", height, body)
