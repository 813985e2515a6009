"""Geometry of the reviewer dashboard's inline SVG charts (Kaplan–Meier, forest plot), from the ledger's
figures as ``ledger stats --json`` gives them. Only numbers and fixed labels reach the template, which
escapes them; nothing here builds markup."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from xueliang.report.data import RatioRow, ratio_rows

USEFUL, NOT_USEFUL = "#e45756", "#4c78a8"
# plot area of the Kaplan–Meier chart (SVG units): x from day 0 to 365, y from 0 to the top share
KM_X0, KM_X1, KM_Y0, KM_Y1, KM_DAYS = 50.0, 620.0, 200.0, 10.0, 365
# forest plot: labels left of FOREST_X0, ratios on a log scale up to FOREST_X1, one row every FOREST_ROW
FOREST_X0, FOREST_X1, FOREST_ROW = 200.0, 620.0, 18.0


@dataclass(frozen=True)
class KmLine:
    """One Kaplan–Meier curve: cases with useful video or without; its points and label height (SVG units)."""

    useful: bool
    points: str
    label_y: float

    @property
    def label(self) -> str:
        return "useful video" if self.useful else "no useful video"

    @property
    def css(self) -> str:
        return "km-useful" if self.useful else "km-not-useful"

    @property
    def colour(self) -> str:
        return USEFUL if self.useful else NOT_USEFUL


@dataclass(frozen=True)
class KmChart:
    lines: tuple[KmLine, ...]
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]


@dataclass(frozen=True)
class ForestRow:
    """A fitted ratio and where its estimate and 95% interval sit on the plot (SVG units)."""

    ratio: RatioRow
    x: float
    x_low: float
    x_high: float
    y: float

    @property
    def colour(self) -> str:
        return USEFUL if self.ratio.kind == "hazard" else NOT_USEFUL


@dataclass(frozen=True)
class ForestPlot:
    rows: tuple[ForestRow, ...]
    x_one: float
    x_ticks: tuple[tuple[float, str], ...]
    height: float


def km_chart(analysis: dict[str, Any]) -> KmChart:
    """The two curves of all cases (useful video or not), scaled to the highest upper bound."""
    groups = [g for g in analysis["time_to_solve"]["groups"] if g["case_type"] == "all"]
    highs = [v for g in groups for v in (g["curve_high"] or g["curve"]) if v is not None]
    top = max(0.1, math.ceil(10 * max(highs, default=0.1)) / 10)

    def xy(day: int, share: float) -> tuple[float, float]:
        return KM_X0 + (KM_X1 - KM_X0) * day / KM_DAYS, KM_Y0 - (KM_Y0 - KM_Y1) * share / top

    lines = []
    for g in groups:
        pts = [xy(d, v) for d, v in enumerate(g["curve"]) if v is not None]
        if not pts:
            continue
        pts.insert(0, xy(0, 0.0))  # nothing is solved before the occurrence
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        lines.append(KmLine(bool(g["useful_video"]), points, label_y=round(pts[-1][1] - 6, 1)))
    x_ticks = tuple((round(xy(d, 0)[0], 1), str(d)) for d in (0, 30, 90, 180, 365))
    y_ticks = tuple((round(xy(0, top * k / 5)[1], 1), f"{100 * top * k / 5:.0f}%") for k in range(6))
    return KmChart(tuple(lines), x_ticks, y_ticks)


def forest_plot(analysis: dict[str, Any]) -> ForestPlot:
    """Hazard ratio then odds ratio, for all cases and each crime type, on one log scale."""
    fitted = ratio_rows(analysis)
    lo = min([0.5, *(r.low for r in fitted)])
    hi = max([2.0, *(r.high for r in fitted)])
    l0, span = math.log(lo), math.log(hi) - math.log(lo)

    def x(v: float) -> float:
        return round(FOREST_X0 + (FOREST_X1 - FOREST_X0) * (math.log(v) - l0) / span, 1)

    rows = tuple(ForestRow(r, x(r.estimate), x(r.low), x(r.high), 14 + FOREST_ROW * i) for i, r in enumerate(fitted))
    ticks = tuple((x(v), f"{v:g}") for v in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo <= v <= hi)
    return ForestPlot(rows, x(1.0), ticks, 30 + FOREST_ROW * len(rows))
