"""Bar charts as server-side SVG: the geometry here, the markup in
``templates/office/dashboard/chart.html``. No JavaScript, nothing fetched.

A chart is grouped bars: one group per category (a week), one bar per series.
Each bar carries its value as text (its ``<title>``), the chart a title and a
description for screen readers (``role="img"``), and the page shows the same
numbers as a table beside it: the chart is never the only way to read them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 720
HEIGHT = 260
LEFT = 56  # room for the value axis' labels
RIGHT = 12
TOP = 12
BOTTOM = 44  # room for the categories' labels
TICKS = 4
# DSFR's illustrative colours, distinct in grey too (light, mid, dark).
COLOURS = ("#6a6af4", "#000091", "#c9191e", "#18753c")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    text: str  # "<category> · <series>: <value>"


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Category:
    x: float
    label: str


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    categories: list[Category]
    legend: list[LegendEntry]
    axis_left: int = LEFT
    axis_right: int = WIDTH - RIGHT
    axis_bottom: int = HEIGHT - BOTTOM


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^n at or above ``value`` (an axis' top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def bar_chart(
    *,
    id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    percent: bool = False,
) -> Chart:
    """Grouped bars of ``series`` over ``categories``; ``percent``: values are
    fractions from 0 to 1, the axis goes to 100 %."""
    formatted = (lambda v: f"{v * 100:.1f} %") if percent else (lambda v: f"{v:g}")
    peak = max((v for s in series for v in s.values if v is not None), default=0)
    top = 1.0 if percent else _nice_ceiling(peak)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    group = plot_width / max(len(categories), 1)
    bar_width = group * 0.8 / max(len(series), 1)
    bars: list[Bar] = []
    for index, category in enumerate(categories):
        for position, item in enumerate(series):
            value = item.values[index]
            height = 0.0 if value is None else plot_height * min(value, top) / top
            bars.append(
                Bar(
                    x=round(LEFT + index * group + group * 0.1 + position * bar_width, 2),
                    y=round(TOP + plot_height - height, 2),
                    width=round(bar_width, 2),
                    height=round(height, 2),
                    colour=COLOURS[position % len(COLOURS)],
                    text=f"{category} · {item.label} — "
                    + ("—" if value is None else formatted(value)),
                )
            )
    ticks = [
        Tick(
            y=round(TOP + plot_height - plot_height * n / TICKS, 2),
            label=formatted(top * n / TICKS),
        )
        for n in range(TICKS + 1)
    ]
    labels = [
        Category(x=round(LEFT + index * group + group / 2, 2), label=category)
        for index, category in enumerate(categories)
    ]
    legend = [
        LegendEntry(label=item.label, colour=COLOURS[position % len(COLOURS)])
        for position, item in enumerate(series)
    ]
    return Chart(
        id=id,
        title=title,
        description=description,
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ticks=ticks,
        categories=labels,
        legend=legend,
    )
