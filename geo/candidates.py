"""Candidate camera sites generated from a town, and the candidate views (site x model x heading).

Sites: on each approach leg of every intersection (looking at the junction and out along the leg),
poles along main roads, a ring around key sites and boundary crossings, the edge of crowded areas,
and a user file. Sites inside building footprints are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.arrays import Columns, FloatArray, IntArray, ObjectArray
from geo.cameras import read_csv_frame
from geo.catalogue import Catalogue
from geo.coverage import Occluders
from geo.town import Town
from geo.view import Views, bearing_deg, max_range
from xueliang.errors import SchemaError


@dataclass(frozen=True)
class Sites(Columns):
    """Candidate sites: position (metric CRS), where they came from, and the headings to try (NaN-free)."""

    x: FloatArray
    y: FloatArray
    source: ObjectArray
    headings: list[FloatArray]


def _offset(x: FloatArray, y: FloatArray, bearing: FloatArray, d: float | FloatArray) -> tuple[FloatArray, FloatArray]:
    r = np.radians(bearing)
    return x + np.sin(r) * d, y + np.cos(r) * d


def intersection_sites(intersections: gpd.GeoDataFrame, *, back_m: float = 20.0, side_m: float = 4.0) -> Sites:
    """One site per approach leg, ``back_m`` up the leg and ``side_m`` to its kerb side, looking at the
    junction and out along the leg."""
    xs, ys, hs = [], [], []
    for geom, legs in zip(intersections.geometry, intersections["legs"], strict=True):
        if not legs:
            continue
        for b in (float(v) for v in str(legs).split(";")):
            px, py = _offset(np.array([geom.x]), np.array([geom.y]), np.array([b]), back_m)
            px, py = _offset(px, py, np.array([b + 90.0]), side_m)
            xs.append(px[0])
            ys.append(py[0])
            hs.append(np.array([(b + 180.0) % 360.0, b % 360.0]))
    n = len(xs)
    return Sites(np.array(xs, dtype=float), np.array(ys, dtype=float), np.full(n, "intersection", dtype=object), hs)


def road_pole_sites(roads: gpd.GeoDataFrame, highways: list[str], *, spacing_m: float, side_m: float = 5.0) -> Sites:
    lines = roads.geometry.to_numpy()[roads["highway"].isin(highways).to_numpy()]
    if len(lines) == 0:
        return Sites(np.zeros(0), np.zeros(0), np.zeros(0, dtype=object), [])
    lengths = shapely.length(lines)
    counts = np.maximum(1, np.floor(lengths / spacing_m).astype(int))
    which = np.repeat(np.arange(len(lines)), counts)
    at = np.concatenate([(np.arange(k) + 0.5) * (length / k) for k, length in zip(counts, lengths, strict=True)])
    p = shapely.get_coordinates(shapely.line_interpolate_point(lines[which], at))
    q = shapely.get_coordinates(shapely.line_interpolate_point(lines[which], np.minimum(at + 1.0, lengths[which])))
    b = bearing_deg(q[:, 0] - p[:, 0], q[:, 1] - p[:, 1])
    x, y = _offset(p[:, 0], p[:, 1], b + 90.0, side_m)
    return Sites(
        x, y, np.full(len(x), "main_road", dtype=object), [np.array([v % 360.0, (v + 180.0) % 360.0]) for v in b]
    )


def ring_sites(points: ObjectArray, source: str, *, radius_m: float, n: int = 8) -> Sites:
    """``n`` sites on a circle around each target, each looking at it."""
    xy = shapely.get_coordinates(points) if len(points) else np.zeros((0, 2))
    bearings = np.arange(n) * (360.0 / n)
    bx = np.repeat(xy[:, 0], n)
    by = np.repeat(xy[:, 1], n)
    bb = np.tile(bearings, len(xy))
    x, y = _offset(bx, by, bb, radius_m)
    return Sites(x, y, np.full(len(x), source, dtype=object), [np.array([(v + 180.0) % 360.0]) for v in bb])


def area_edge_sites(areas: ObjectArray, *, spacing_m: float) -> Sites:
    xs, ys, hs = [], [], []
    for a in areas:
        ring = shapely.boundary(a)
        length = shapely.length(ring)
        k = max(4, int(length // spacing_m))
        pts = shapely.get_coordinates(shapely.line_interpolate_point(ring, np.arange(k) * length / k))
        c = shapely.centroid(a)
        for px, py in pts:
            xs.append(px)
            ys.append(py)
            hs.append(np.array([bearing_deg(np.array([c.x - px]), np.array([c.y - py]))[0]]))
    n = len(xs)
    return Sites(np.array(xs, dtype=float), np.array(ys, dtype=float), np.full(n, "crowded_area", dtype=object), hs)


def grid_in(area: shapely.Geometry, spacing_m: float) -> tuple[FloatArray, FloatArray]:
    """Centres of a ``spacing_m`` grid that fall inside ``area`` (none for an empty area)."""
    minx, miny, maxx, maxy = shapely.bounds(area)
    if not np.isfinite([minx, miny, maxx, maxy]).all():  # an empty area (e.g. all built over) has NaN bounds
        return np.zeros(0), np.zeros(0)
    gx, gy = np.meshgrid(
        np.arange(minx + spacing_m / 2, maxx, spacing_m), np.arange(miny + spacing_m / 2, maxy, spacing_m)
    )
    xs: FloatArray = gx.ravel()
    ys: FloatArray = gy.ravel()
    if len(xs) == 0:
        return xs, ys
    pts = np.asarray(shapely.points(xs, ys), dtype=object)
    inside = np.asarray(shapely.contains(area, pts), dtype=np.bool_)
    return xs[inside], ys[inside]


def area_interior_sites(areas: ObjectArray, *, spacing_m: float) -> Sites:
    """Poles on a grid inside crowded areas (squares and markets have lamp posts), trying four headings."""
    cells = [grid_in(a, spacing_m) for a in areas]
    x = np.concatenate([c[0] for c in cells]) if cells else np.zeros(0)
    y = np.concatenate([c[1] for c in cells]) if cells else np.zeros(0)
    heads = [np.array([45.0, 135.0, 225.0, 315.0]) for _ in range(len(x))]
    return Sites(x, y, np.full(len(x), "crowded_area", dtype=object), heads)


def user_sites(path: str | Path, town: Town) -> Sites:
    """CSV with ``lon,lat`` and optional ``heading``; without a heading, eight are tried."""
    p = Path(path)
    df = read_csv_frame(p, "lon, lat (and optionally heading)")
    cols = {c.lower().strip(): c for c in df.columns}
    if "lon" not in cols or "lat" not in cols:
        raise SchemaError(str(p), f"expected columns lon, lat (and optionally heading); got {', '.join(df.columns)}")
    lon = pd.to_numeric(df[cols["lon"]], errors="coerce")
    lat = pd.to_numeric(df[cols["lat"]], errors="coerce")
    bad = lon.isna() | lat.isna() | ~lon.between(-180, 180) | ~lat.between(-90, 90)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(str(p), "expected lon/lat degrees", where=f"line {i + 2}", field="lon/lat")
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(town.crs)
    heads: list[FloatArray] = []
    hcol = cols.get("heading")
    for i in range(len(df)):
        h = pd.to_numeric(pd.Series([df[hcol].iloc[i]]), errors="coerce").iloc[0] if hcol else np.nan
        if pd.isna(h):
            heads.append(np.arange(8, dtype=np.float64) * 45.0)
        elif not 0 <= h <= 360:
            raise SchemaError(str(p), f"must be 0-360 degrees, got {h}", where=f"line {i + 2}", field="heading")
        else:
            heads.append(np.array([float(h) % 360.0]))
    return Sites(pts.x.to_numpy(), pts.y.to_numpy(), np.full(len(df), "user", dtype=object), heads)


def concat_sites(parts: list[Sites], occluders: Occluders | None) -> Sites:
    x = np.concatenate([s.x for s in parts]) if parts else np.zeros(0)
    y = np.concatenate([s.y for s in parts]) if parts else np.zeros(0)
    src = np.concatenate([s.source for s in parts]) if parts else np.zeros(0, dtype=object)
    heads = [h for s in parts for h in s.headings]
    keep = np.ones(len(x), dtype=bool)
    if occluders is not None and len(occluders) and len(x):
        inside = occluders.tree.query(shapely.points(x, y), predicate="within")[0]
        keep[inside] = False
    idx = np.flatnonzero(keep)
    return Sites(x[idx], y[idx], src[idx], [heads[i] for i in idx])


@dataclass(frozen=True)
class Candidates(Columns):
    """Candidate views: one per site x model x heading (domes: one per site x model)."""

    site: IntArray
    model: IntArray
    x: FloatArray
    y: FloatArray
    heading: FloatArray  # NaN for domes
    cost: FloatArray
    group: IntArray  # one camera per site and heading
    source: ObjectArray

    def views(self, catalogue: Catalogue, density: float) -> Views:
        models = catalogue.models
        fov = np.array([m.fov_deg for m in models])[self.model]
        res = np.array([m.resolution_px for m in models], dtype=float)[self.model]
        height = np.array([m.height_m for m in models])[self.model]
        omni = np.array([m.kind in ("dome", "ptz") for m in models])[self.model]
        lens = np.where(omni & (fov >= 180), 60.0, fov)
        return Views(
            camera_id=np.arange(len(self)).astype(object),
            x=self.x,
            y=self.y,
            heading=self.heading,
            half_fov=np.where(omni, 180.0, fov / 2.0),
            radius=max_range(res, lens, density, height),
        )


def expand(sites: Sites, catalogue: Catalogue) -> Candidates:
    rows: dict[str, list[float | int | str]] = {k: [] for k in ("site", "model", "heading", "group")}
    group = 0
    omni_models = [i for i, m in enumerate(catalogue.models) if m.kind in ("dome", "ptz")]
    dir_models = [i for i, m in enumerate(catalogue.models) if m.kind not in ("dome", "ptz")]
    for s in range(len(sites)):
        for h in sites.headings[s]:
            for m in dir_models:
                rows["site"].append(s)
                rows["model"].append(m)
                rows["heading"].append(float(h))
                rows["group"].append(group)
            group += 1
        for m in omni_models:
            rows["site"].append(s)
            rows["model"].append(m)
            rows["heading"].append(np.nan)
            rows["group"].append(group)
        group += 1
    site = np.array(rows["site"], dtype=np.int64)
    model = np.array(rows["model"], dtype=np.int64)
    costs = np.array([m.cost for m in catalogue.models])
    return Candidates(
        site=site,
        model=model,
        x=sites.x[site],
        y=sites.y[site],
        heading=np.array(rows["heading"], dtype=float),
        cost=costs[model] if len(model) else np.zeros(0),
        group=np.array(rows["group"], dtype=np.int64),
        source=sites.source[site],
    )
