"""A coverage map drawn from the extract itself (no tile server): roads, buildings, views, targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd

from geo.analysis import CoverageResult
from geo.targets import AREA_CLASSES
from geo.town import Town

COLOURS = {
    "intersections": "#1f77b4",
    "main_road_nodes": "#9467bd",
    "crowded_areas": "#ff7f0e",
    "key_sites": "#d62728",
    "boundary_crossings": "#8c564b",
}


def draw_coverage_map(result: CoverageResult, path: Path, *, dpi: int = 130) -> None:
    """Covered targets filled, gaps hollow with a red edge; views translucent green."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise RuntimeError("drawing maps needs matplotlib: pip install matplotlib") from exc
    town = result.town
    fig, ax = plt.subplots(figsize=(11, 11))
    if len(town.buildings):
        town.buildings.plot(ax=ax, color="#d9d9d9", linewidth=0)
    town.roads.plot(ax=ax, color="#9a9a9a", linewidth=0.6)
    if len(town.admin):
        town.admin.boundary.plot(ax=ax, color="#555555", linewidth=0.5, linestyle="--")
    views = result.views[~result.views.geometry.is_empty]
    if len(views):
        views.plot(ax=ax, color="#2ca02c", alpha=0.35, linewidth=0)
    handles = []
    for name, cr in result.classes.items():
        t = cr.targets
        if not len(t):
            continue
        colour = COLOURS.get(name, "black")
        cov, gap = t[t["covered"]], t[~t["covered"]]
        if name in AREA_CLASSES:
            if len(cov):
                cov.plot(ax=ax, facecolor=colour, alpha=0.25, edgecolor=colour, linewidth=0.8)
            if len(gap):
                gap.plot(ax=ax, facecolor="none", edgecolor="red", linewidth=1.0, hatch="//")
        else:
            if len(cov):
                cov.plot(ax=ax, color=colour, markersize=10)
            if len(gap):
                gap.plot(ax=ax, facecolor="none", edgecolor="red", markersize=14, linewidth=0.8)
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color=colour,
                label=f"{name}: {int(t['covered'].sum())}/{len(t)} covered",
            )
        )
    cams = result.cameras[result.cameras["in_extract"]] if len(result.cameras) else result.cameras
    if len(cams):
        cams.plot(ax=ax, color="black", markersize=6, marker="^")
        handles.append(Line2D([], [], marker="^", linestyle="", color="black", label=f"cameras ({len(cams)})"))
    handles.append(
        Line2D(
            [], [], marker="o", linestyle="", markerfacecolor="none", markeredgecolor="red", label="gap (not covered)"
        )
    )
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)
    minx, miny, maxx, maxy = town.roads.total_bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    ax.set_title(f"Coverage at {result.config.level} — {Path(town.source).name} ({town.crs.to_string()}, metres)")
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def draw_plan(
    town: Town, existing: gpd.GeoDataFrame, plan_sites: gpd.GeoDataFrame, path: Path, *, title: str, dpi: int = 130
) -> None:
    """Existing cameras in black, proposed sites coloured by phase, on the extract's own roads."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 11))
    if len(town.buildings):
        town.buildings.plot(ax=ax, color="#d9d9d9", linewidth=0)
    town.roads.plot(ax=ax, color="#9a9a9a", linewidth=0.6)
    if len(existing):
        existing.plot(ax=ax, color="black", marker="^", markersize=14, label=f"existing ({len(existing)})")
    sites = plan_sites.to_crs(town.crs)
    cmap = plt.get_cmap("tab10")
    for k, (phase, g) in enumerate(sites.groupby("phase")):
        g.plot(
            ax=ax, color=cmap(k % 10), markersize=22, label=f"phase {phase}: {len(g)} new, cost {g['cost'].sum():,.0f}"
        )
    minx, miny, maxx, maxy = town.roads.total_bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def draw_curve(cumulative_cost: Any, covered_fraction: Any, path: Path, *, dpi: int = 110) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.step(range(len(covered_fraction)), [100 * f for f in covered_fraction], where="post")
    ax.set_xlabel("cameras added (greedy order)")
    ax.set_ylabel("covered weight (%)")
    ax2 = ax.secondary_xaxis("top")
    ax2.set_xlabel("")
    ax.grid(alpha=0.3)
    ax.set_title(f"Coverage versus cameras (total cost {float(cumulative_cost[-1]):,.0f})")
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
