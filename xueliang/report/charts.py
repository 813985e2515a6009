"""Figures of the report, drawn with matplotlib on a basemap made from the OSM extract (no tile server)."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.plot import COLOURS  # the same colour per class as the coverage map
from geo.targets import AREA_CLASSES
from xueliang.i18n import N_, Translator, translator
from xueliang.i18n.errors import translate_label
from xueliang.report.data import Coverage, PlanData, ratio_rows

if TYPE_CHECKING:
    from geo.town import Town

#: CJK fonts looked for (by family name in matplotlib, else by file through fontconfig), best first
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@cache
def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can draw with (registered from its file when matplotlib's
    font cache predates it), or None when the machine has none."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    files = list(CJK_FILES)
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
        files += sorted(line.strip().rstrip(":") for line in listed.splitlines() if line.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    for path in files:
        if Path(path).is_file():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
            added = {f.name for f in font_manager.fontManager.ttflist} - known
            for family in CJK_FAMILIES:
                if family in added:
                    return family
            if added:
                return sorted(added)[0]
    return None


def chart_language(t: Translator | None) -> tuple[Translator, str | None]:
    """The translator the charts are drawn in, and a one-line warning when Chinese was asked for but no CJK
    font exists (the charts then keep their English labels rather than draw empty boxes)."""
    t = t or translator("en")
    if t.lang == "en":
        return t, None
    family = cjk_font()
    if family is None:
        return translator("en"), N_(
            "no CJK font found (install fonts-wqy-microhei or fonts-noto-cjk): charts in English"
        )
    import matplotlib

    matplotlib.rcParams["font.sans-serif"] = [family, *matplotlib.rcParams["font.sans-serif"]]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    return t, None


def _save(fig: Any, path: Path, dpi: int) -> Path:
    """Lay out, write and close one figure."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    _plt().close(fig)
    return path


def load_basemap(osm: str | Path) -> Town:
    """The extract's town, in its metric CRS: the maps draw its roads and buildings under the coverage."""
    from geo.config import load_coverage_config
    from geo.town import load_town

    return load_town(osm, load_coverage_config(None))


def class_maps(
    cov: Coverage, basemap: Town | None, out: Path, *, dpi: int = 100, t: Translator | None = None
) -> dict[str, Path]:
    """One PNG per target class: views translucent green, cameras black, covered targets filled, gaps red."""
    import geopandas as gpd
    import pyogrio

    plt = _plt()
    tr = t or translator("en")
    gpkg = cov.directory / "coverage.gpkg"
    if not gpkg.is_file():
        return {}
    layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    views = gpd.read_file(gpkg, layer="views")
    # the run's own metric CRS (summary.json); a town without cameras has no views to estimate one from
    from pyproj import CRS

    crs = basemap.crs if basemap is not None else CRS(cov.summary.projected_crs)
    views = views.to_crs(crs)
    cams = gpd.read_file(gpkg, layer="cameras").to_crs(crs) if "cameras" in layers else None
    paths: dict[str, Path] = {}
    for row in cov.rows:
        if row.name not in layers:
            continue
        targets = gpd.read_file(gpkg, layer=row.name).to_crs(crs)
        fig, ax = plt.subplots(figsize=(7.5, 7.5))
        if basemap is not None:
            if len(basemap.buildings):
                basemap.buildings.plot(ax=ax, color="#dddddd", linewidth=0)
            basemap.roads.plot(ax=ax, color="#9a9a9a", linewidth=0.6)
        live = views[~views.geometry.is_empty]
        if len(live):
            live.plot(ax=ax, facecolor="#2ca02c", alpha=0.45, edgecolor="#1a7a1a", linewidth=0.8)
        if cams is not None and len(cams):
            cams.plot(ax=ax, color="black", marker="^", markersize=14)
        colour = COLOURS.get(row.name, "black")
        covered = targets["covered"].astype(bool) if "covered" in targets else targets.index == -1
        cov_t, gap_t = targets[covered], targets[~covered]
        if row.name in AREA_CLASSES:
            if len(cov_t):
                cov_t.plot(ax=ax, facecolor=colour, alpha=0.3, edgecolor=colour)
            if len(gap_t):
                gap_t.plot(ax=ax, facecolor="none", edgecolor="red", hatch="//", linewidth=1.2)
        else:
            if len(cov_t):
                cov_t.plot(ax=ax, color=colour, markersize=30)
            if len(gap_t):
                gap_t.plot(ax=ax, facecolor="none", edgecolor="red", markersize=60, linewidth=1.4)
        if basemap is not None and len(basemap.roads):
            minx, miny, maxx, maxy = basemap.roads.total_bounds
            ax.set_xlim(minx, maxx)
            ax.set_ylim(miny, maxy)
        ax.set_aspect("equal")
        ax.ticklabel_format(useOffset=False, style="plain")
        ax.tick_params(labelsize=6)
        ax.set_xlabel(tr("easting (m)"), fontsize=7)
        ax.set_ylabel(tr("northing (m)"), fontsize=7)
        ax.set_title(
            tr(
                "%(name)s: %(covered)s of %(total)s covered at %(level)s (views green, cameras ▲, gaps red) — "
                "%(crs)s metres",
                name=tr.gettext(row.name),
                covered=row.covered,
                total=row.total,
                level=tr.gettext(row.level),
                crs=crs.to_string(),
            ),
            fontsize=8,
        )
        paths[row.name] = _save(fig, out / f"map_{row.name}.png", dpi)
    return paths


def plan_charts(plan: PlanData, out: Path, *, dpi: int = 100, t: Translator | None = None) -> dict[str, Path]:
    """Before/after bars per class and the coverage-versus-cameras curve."""
    plt = _plt()
    tr = t or translator("en")
    paths: dict[str, Path] = {}
    if plan.classes:
        fig, ax = plt.subplots(figsize=(7.5, 3.5))
        names = [tr.gettext(c.name) for c in plan.classes]
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], [100 * (c.before or 0) for c in plan.classes], width=0.4, label=tr("before"))
        ax.bar([x + 0.2 for x in xs], [100 * (c.after or 0) for c in plan.classes], width=0.4, label=tr("after"))
        ax.set_xticks(list(xs), names, fontsize=7)
        ax.set_ylabel(tr("covered (%)"))
        ax.set_ylim(0, 105)
        ax.legend(fontsize=8)
        ax.set_title(tr("Plan: coverage before and after, per class"), fontsize=9)
        paths["before_after"] = _save(fig, out / "plan_before_after.png", dpi)
    if plan.curve:
        fig, ax = plt.subplots(figsize=(7.5, 3.5))
        ax.step([c[0] for c in plan.curve], [100 * c[2] for c in plan.curve], where="post")
        ax.set_xlabel(tr("cameras added"))
        ax.set_ylabel(tr("covered weight (%)"))
        ax.grid(alpha=0.3)
        ax.set_title(tr("Coverage versus cameras (total cost %(cost)s)", cost=tr.number(plan.curve[-1][1])), fontsize=9)
        paths["curve"] = _save(fig, out / "plan_curve.png", dpi)
    return paths


def ledger_charts(stats: dict[str, Any], out: Path, *, dpi: int = 100, t: Translator | None = None) -> dict[str, Path]:
    """Shares with 95% intervals, the video-supported share of solved cases by year, and the
    :func:`analysis_charts` (Kaplan–Meier, forest plot, funnel)."""
    plt = _plt()
    tr = t or translator("en")
    paths: dict[str, Path] = {}
    ms = stats.get("measures", [])
    if ms:
        fig, ax = plt.subplots(figsize=(7.5, 3.2))
        ys = range(len(ms))
        vals = [100 * m["proportion"]["value"] for m in ms]
        lo = [100 * (m["proportion"]["value"] - m["proportion"]["low"]) for m in ms]
        hi = [100 * (m["proportion"]["high"] - m["proportion"]["value"]) for m in ms]
        ax.barh(list(ys), vals, xerr=[lo, hi], color="#4c78a8", capsize=3)
        ax.set_yticks(list(ys), [tr.gettext(m.get("label", m["key"])) for m in ms], fontsize=7)
        ax.set_xlabel(tr("% (bars: 95% Wilson interval)"))
        ax.set_xlim(0, 100)
        ax.invert_yaxis()
        paths["shares"] = _save(fig, out / "ledger_shares.png", dpi)
    groups = stats.get("groups") or []
    if groups:
        fig, ax = plt.subplots(figsize=(7.5, 3.2))
        xs, vs, los, his = [], [], [], []
        for g in groups:
            m = next((m for m in g["measures"] if m["key"] == "video_supported_of_solved"), None)
            if m is None or m["proportion"]["denominator"] == 0:
                continue
            p = m["proportion"]
            xs.append(str(g["group"]))
            vs.append(100 * p["value"])
            los.append(100 * p["low"])
            his.append(100 * p["high"])
        ax.plot(xs, vs, marker="o")
        ax.fill_between(xs, los, his, alpha=0.2)
        ax.set_ylabel(tr("video-supported, % of solved"))
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
        ax.set_title(tr("Trend by year (band: 95% interval)"), fontsize=9)
        paths["trend"] = _save(fig, out / "ledger_trend.png", dpi)
    paths.update(analysis_charts(stats, out, dpi=dpi, t=tr))
    return paths


def _km_chart(a: dict[str, Any], out: Path, dpi: int, tr: Translator) -> Path | None:
    """Share solved by days since occurrence, useful video vs not: all cases (with bands), then per type."""
    groups = a["time_to_solve"]["groups"]
    types = sorted({g["case_type"] for g in groups} - {"all"})
    if not groups:
        return None
    plt = _plt()
    cols = 4
    rows = 1 + (len(types) + cols - 1) // cols
    fig = plt.figure(figsize=(7.5, 2.2 + 1.7 * (rows - 1)))
    grid = fig.add_gridspec(rows, cols)
    panels = [("all", fig.add_subplot(grid[0, :]))]
    panels += [(t, fig.add_subplot(grid[1 + i // cols, i % cols])) for i, t in enumerate(types)]
    colour = {True: "#e45756", False: "#4c78a8"}
    for case_type, ax in panels:
        for g in groups:
            if g["case_type"] != case_type:
                continue
            xs = [d for d, v in enumerate(g["curve"]) if v is not None]
            ys = [100 * g["curve"][d] for d in xs]
            label = tr("useful video") if g["useful_video"] else tr("no useful video")
            ax.step(xs, ys, where="post", color=colour[g["useful_video"]], label=label, lw=1.2)
            if g["curve_low"]:
                lo = [100 * g["curve_low"][d] for d in xs]
                hi = [100 * g["curve_high"][d] for d in xs]
                ax.fill_between(xs, lo, hi, step="post", color=colour[g["useful_video"]], alpha=0.15)
        ax.set_title(tr("all crime types") if case_type == "all" else tr.gettext(case_type), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.set_xlim(0, 365)
        ax.set_ylim(bottom=0)
        if case_type == "all":
            ax.set_ylabel(tr("% solved"), fontsize=8)
            ax.legend(fontsize=7, loc="upper left")
    panels[-1][1].set_xlabel(tr("days since occurrence"), fontsize=8)
    return _save(fig, out / "ledger_km.png", dpi)


def _forest_chart(a: dict[str, Any], out: Path, dpi: int, tr: Translator) -> Path | None:
    """Hazard and odds ratios for useful video with 95% intervals, overall and per crime type (log scale)."""
    rows = ratio_rows(a)
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(rows) + 1.0))
    for i, r in enumerate(rows):
        colour = "#e45756" if r.kind == "hazard" else "#4c78a8"
        ax.plot([r.low, r.high], [i, i], color=colour, lw=1.5)
        ax.plot([r.estimate], [i], "o", color=colour, ms=4)
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    lo = min(r.low for r in rows)
    hi = max(r.high for r in rows)
    ticks = [v for v in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo / 1.5 <= v <= hi * 1.5]
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks], fontsize=7)
    ax.minorticks_off()
    ax.set_yticks(range(len(rows)), [translate_label(r.label, tr) for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(tr("ratio for useful video (log scale; 1 = no difference; lines: 95% interval)"), fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, out / "ledger_forest.png", dpi)


def _funnel_chart(a: dict[str, Any], out: Path, dpi: int, tr: Translator) -> Path | None:
    """Cases at each step from request to solving with useful video; losses to retention beside."""
    steps = a["funnel"]["steps"]
    if not steps:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 2.6))
    ys = range(len(steps))
    ax.barh(list(ys), [s["count"] for s in steps], color="#4c78a8")
    for i, s in enumerate(steps):
        share = tr.percent(s["of_all"]["value"])
        ax.text(
            s["count"],
            i,
            " " + tr("%(n)s (%(share)s of all)", n=tr.number(s["count"]), share=share),
            va="center",
            fontsize=7,
        )
    late = a["funnel"]["requested_after_expiry"]
    ax.set_yticks(list(ys), [tr.gettext(s["step"]) for s in steps], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(tr("cases"), fontsize=8)
    ax.set_xlim(0, steps[0]["count"] * 1.35)
    ax.set_title(
        tr(
            "lost to retention: %(n)s of %(total)s requests came after the footage expired",
            n=tr.number(late["numerator"]),
            total=tr.number(late["denominator"]),
        ),
        fontsize=8,
    )
    return _save(fig, out / "ledger_funnel.png", dpi)


def analysis_charts(
    stats: dict[str, Any], out: Path, *, dpi: int = 100, t: Translator | None = None
) -> dict[str, Path]:
    """The Kaplan–Meier chart, the forest plot of hazard and odds ratios, and the availability funnel."""
    a = stats.get("analysis")
    if not a:
        return {}
    paths = {
        "km": _km_chart(a, out, dpi, t or translator("en")),
        "forest": _forest_chart(a, out, dpi, t or translator("en")),
        "funnel": _funnel_chart(a, out, dpi, t or translator("en")),
    }
    return {k: p for k, p in paths.items() if p is not None}
