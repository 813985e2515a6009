"""Cases in blind spots: case points outside the union of camera views, as demand weights for the planner.

The core works on arrays (:func:`tag_inside`, :func:`demand_points`); :func:`read_views` is the thin
adapter for the coverage command's ``coverage.gpkg`` (layer ``views``, polygons in EPSG:4326).
A point on the edge of a view counts as inside.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from xueliang.csv_cells import safe_row
from xueliang.errors import InputError
from xueliang.ledger.metrics import CaseTable

WeightBy = Literal["count", "unsolved"]
VIEWS_LAYER = "views"


def read_views(coverage: str | Path) -> Any:
    """The union of the camera views in ``coverage`` (a folder holding coverage.gpkg, or the file).

    Returns a shapely geometry in EPSG:4326 (reprojected when the layer says another CRS).
    """
    import geopandas as gpd
    import shapely

    path = Path(coverage)
    if path.is_dir():
        path = path / "coverage.gpkg"
    if not path.is_file():
        raise InputError(str(path), "no such file; run `xueliang coverage` first or pass the folder it wrote")
    try:
        gdf = gpd.read_file(path, layer=VIEWS_LAYER)
    except Exception as exc:
        raise InputError(str(path), f"cannot read layer {VIEWS_LAYER!r}: {exc}") from exc
    if gdf.crs is None:
        raise InputError(str(path), "layer 'views' has no CRS; expected EPSG:4326 (lon/lat degrees)")
    if gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geoms = gdf.geometry[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
    kinds = set(geoms.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise InputError(
            str(path),
            f"layer 'views': expected Polygon or MultiPolygon geometries, got {', '.join(sorted(kinds))}",
        )
    # make_valid: a self-touching view polygon would otherwise break the union
    return shapely.union_all(shapely.make_valid(np.asarray(geoms.values)))


def tag_inside(union: Any, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """True where the point lies in (or on the edge of) ``union``; False for NaN coordinates."""
    import shapely

    ok = ~(np.isnan(lon) | np.isnan(lat))
    inside = np.zeros(len(lon), dtype=bool)
    if ok.any() and union is not None and not union.is_empty:
        inside[ok] = shapely.intersects_xy(union, lon[ok], lat[ok])
    return inside


@dataclass(frozen=True)
class DemandPoint:
    """Cases at one point (rounded), weighed for placement (see :func:`demand_points`)."""

    lon: float
    lat: float
    weight: float
    """the sum of its cases' type weights (unsolved cases only with ``weight_by="unsolved"``)"""
    case_ids: tuple[str, ...]
    """the cases at the point, sorted"""


@dataclass(frozen=True)
class BlindSpotResult:
    """Each case tagged (placed or not; in view or not), and the demand points of the cases placed outside."""

    placed: NDArray[np.bool_]
    in_view: NDArray[np.bool_]
    outside_case_ids: tuple[str, ...]
    points: tuple[DemandPoint, ...]

    @property
    def cases(self) -> int:
        return len(self.placed)

    @property
    def without_place(self) -> int:
        return int(np.count_nonzero(~self.placed))

    @property
    def inside(self) -> int:
        return int(np.count_nonzero(self.in_view))

    @property
    def outside(self) -> int:
        return int(np.count_nonzero(self.placed & ~self.in_view))


def demand_points(
    t: CaseTable,
    *,
    decimals: int = 4,
    weight_by: WeightBy = "count",
    type_weights: Mapping[str, float] | None = None,
) -> tuple[DemandPoint, ...]:
    """Cases grouped by their point rounded to ``decimals`` degrees (4 = about 11 m).

    The weight of a point is the sum over its cases of the case's type weight (default 1); with
    ``weight_by="unsolved"`` solved cases weigh nothing (points left with weight 0 are dropped).
    Sorted by weight (largest first), then lon, lat.
    """
    type_weights = type_weights or {}
    groups: dict[tuple[float, float], tuple[float, list[str]]] = {}
    for i in range(len(t)):
        lon, lat = float(t.lon[i]), float(t.lat[i])
        if math.isnan(lon) or math.isnan(lat):
            continue
        w = float(type_weights.get(str(t.case_type[i]), 1.0))
        if weight_by == "unsolved" and t.solved[i]:
            w = 0.0
        key = (round(lon, decimals), round(lat, decimals))
        total, ids = groups.get(key, (0.0, []))
        ids.append(str(t.case_id[i]))
        groups[key] = (total + w, ids)
    points = [DemandPoint(k[0], k[1], w, tuple(sorted(ids))) for k, (w, ids) in groups.items() if w > 0]
    return tuple(sorted(points, key=lambda p: (-p.weight, p.lon, p.lat)))


def find_blind_spots(
    t: CaseTable,
    union: Any,
    *,
    decimals: int = 4,
    weight_by: WeightBy = "count",
    type_weights: Mapping[str, float] | None = None,
) -> BlindSpotResult:
    placed = ~(np.isnan(t.lon) | np.isnan(t.lat))
    inside = tag_inside(union, t.lon, t.lat)
    outside = placed & ~inside
    out = t.select(outside)
    return BlindSpotResult(
        placed=placed,
        in_view=inside,
        outside_case_ids=tuple(sorted(str(c) for c in out.case_id)),
        points=demand_points(out, decimals=decimals, weight_by=weight_by, type_weights=type_weights),
    )


def write_demand_csv(path: str | Path, points: tuple[DemandPoint, ...]) -> None:
    """``lon,lat,weight,case_ids`` (case ids joined by ``;``), the planner's demand-weights input."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["lon", "lat", "weight", "case_ids"])
        for p in points:
            weight = int(p.weight) if float(p.weight).is_integer() else p.weight
            w.writerow(safe_row([p.lon, p.lat, weight, ";".join(p.case_ids)]))


def write_case_tags(path: str | Path, t: CaseTable, result: BlindSpotResult) -> None:
    """Every case with ``in_view`` = yes, no (a blind spot) or unknown (no place), sorted by case id."""
    order = np.argsort(t.case_id.astype(str), kind="stable")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["case_id", "case_type", "lon", "lat", "solved", "in_view"])
        for i in order:
            tag = "unknown" if not result.placed[i] else ("yes" if result.in_view[i] else "no")
            lon = "" if math.isnan(t.lon[i]) else float(t.lon[i])
            lat = "" if math.isnan(t.lat[i]) else float(t.lat[i])
            w.writerow(safe_row([t.case_id[i], t.case_type[i], lon, lat, "yes" if t.solved[i] else "no", tag]))
