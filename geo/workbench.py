"""What-if coverage for a planner's edits, recomputed incrementally.

:func:`build_workbench` does the heavy part once per town: targets, building index, and the coverage of
every existing camera (point classes as a sparse targets x cameras matrix; area classes as clipped view
polygons). :func:`whatif` then only traces the views of the cameras a planner adds or moves, and drops
the columns of those removed (a moved camera is removed under its id and added at its new place).

Intersections are counted under both rules of :data:`geo.targets.INTERSECTION_RULES`; the class ratio
uses "centre seen", as the coverage run does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo.analysis import _villages, build_views, cameras_frame
from geo.arrays import BoolArray, FloatArray, IndexArray, IntArray, ObjectArray
from geo.cameras import Camera
from geo.config import CoverageConfig
from geo.coverage import Occluders, point_coverage, view_polygons
from geo.targets import AREA_CLASSES, approach_points, build_targets
from geo.town import Town
from geo.view import Views, pixel_density


@dataclass(frozen=True)
class ClassTargets:
    """The targets of one class at its coverage level, as the gap list shows them: one entry per target."""

    name: str
    level: str
    density: float  # px/m the level needs
    target_id: ObjectArray
    label: ObjectArray  # the target's name (None or NaN when it has none)
    priority: IntArray
    lonlat: FloatArray  # a point on each target (WGS84), where its gap is drawn

    @classmethod
    def of(cls, name: str, cfg: CoverageConfig, t: gpd.GeoDataFrame, lonlat: FloatArray) -> ClassTargets:
        level = cfg.class_level(name)
        return cls(
            name,
            str(level),
            pixel_density(level, cfg.scale),
            t["target_id"].to_numpy(dtype=object),
            t["name"].to_numpy(dtype=object),
            t["priority"].to_numpy(dtype=np.int64),
            lonlat,
        )

    def gaps(self, covered: BoolArray) -> list[dict[str, Any]]:
        """A GeoJSON point feature for each target not covered."""
        out = []
        for i in np.flatnonzero(~covered):
            label = self.label[i]
            out.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round(float(v), 7) for v in self.lonlat[i]]},
                    "properties": {
                        "class": self.name,
                        "target_id": str(self.target_id[i]),
                        "name": None if label is None or label != label else str(label),
                        "priority": int(self.priority[i]),
                    },
                }
            )
        return out


@dataclass(frozen=True)
class PointClass:
    targets: ClassTargets
    x: FloatArray
    y: FloatArray
    matrix: sp.csc_matrix  # targets x existing cameras


@dataclass(frozen=True)
class AreaClass:
    targets: ClassTargets
    space: ObjectArray  # open (unbuilt) part of each area
    space_tree: shapely.STRtree
    open_m2: FloatArray
    views: ObjectArray  # clipped view polygon of each existing camera at this level
    touching: tuple[IndexArray, ...]  # existing cameras whose view touches each area
    base_fraction: FloatArray
    threshold: float


@dataclass(frozen=True)
class Workbench:
    """Everything a what-if needs, computed once for one town, one config and the existing cameras."""

    town: Town
    config: CoverageConfig
    occluders: Occluders | None
    cameras: gpd.GeoDataFrame  # existing, metric CRS
    camera_ids: ObjectArray
    points: dict[str, PointClass]
    areas: dict[str, AreaClass]
    legs: PointClass | None  # approach points of intersections (target_id = the intersection's)
    leg_owner: IndexArray
    villages: pd.DataFrame  # the coverage run's village table for the existing cameras
    camera_unit: ObjectArray  # each existing camera's admin unit (None outside every unit)
    units: gpd.GeoDataFrame  # the village units (name, geometry) new cameras are placed in


@dataclass(frozen=True)
class ClassRatio:
    covered: int
    total: int
    ratio: float | None


@dataclass(frozen=True)
class WhatIf:
    classes: dict[str, ClassRatio]
    intersection_rules: dict[str, ClassRatio]
    villages: list[dict[str, Any]]
    gaps: dict[str, Any]  # GeoJSON FeatureCollection (WGS84)
    cameras: gpd.GeoDataFrame  # the scenario's whole camera set (metric CRS)


def _ratio(covered: BoolArray) -> ClassRatio:
    n = len(covered)
    c = int(covered.sum())
    return ClassRatio(c, n, round(c / n, 4) if n else None)


def _lonlat(geoms: ObjectArray, crs: Any) -> FloatArray:
    if len(geoms) == 0:
        return np.zeros((0, 2))
    pts = gpd.GeoSeries(list(geoms), crs=crs).to_crs(4326)
    return np.asarray(shapely.get_coordinates(pts.to_numpy()), dtype=float)


def build_workbench(
    town: Town, cameras: Sequence[Camera], cfg: CoverageConfig, *, progress: Callable[[str], None] | None = None
) -> Workbench:
    say = progress or (lambda _m: None)
    occ = Occluders.from_geoms(town.buildings.geometry.to_numpy()) if cfg.occlusion else None
    cams = cameras_frame(cameras, town.crs)
    ids = cams["id"].to_numpy(dtype=object) if len(cams) else np.zeros(0, dtype=object)
    targets = build_targets(town, cfg)
    points: dict[str, PointClass] = {}
    areas: dict[str, AreaClass] = {}
    legs: PointClass | None = None
    owner = np.zeros(0, dtype=np.intp)

    def point_class(name: str, x: FloatArray, y: FloatArray, t: gpd.GeoDataFrame) -> PointClass:
        targets = ClassTargets.of(name, cfg, t, _lonlat(t.geometry.to_numpy(), town.crs))
        v = build_views(cams, cfg, targets.density)
        return PointClass(targets, x, y, point_coverage(v, x, y, occ, clearance=cfg.los_clearance_m).tocsc())

    for name, t in targets.items():
        t = t.reset_index(drop=True)
        if name in AREA_CLASSES:
            areas[name] = _area_class(name, t, cams, cfg, occ, town)
            continue
        xy = shapely.get_coordinates(t.geometry.to_numpy()) if len(t) else np.zeros((0, 2))
        points[name] = point_class(name, xy[:, 0], xy[:, 1], t)
        if name == "intersections":
            lx, ly, owner = approach_points(t)
            legs = point_class(name, lx, ly, t.iloc[owner].reset_index(drop=True))
        say(f"{name}: {len(t)} targets")
    vil = _villages(town, cams, cfg)
    level = vil.attrs.get("admin_level")
    units = town.admin[town.admin["admin_level"] == level] if level is not None else town.admin.iloc[0:0]
    return Workbench(town, cfg, occ, cams, ids, points, areas, legs, owner, vil, _units_of(cams, units), units)


def _units_of(cams: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> ObjectArray:
    """The admin unit of each camera: its own ``admin_unit`` field, else the unit it stands in."""
    unit = cams["admin_unit"].astype(object).to_numpy().copy() if len(cams) else np.zeros(0, dtype=object)
    missing = np.flatnonzero(pd.isna(unit))
    if len(missing) and len(units):
        pairs = shapely.STRtree(units.geometry.to_numpy()).query(cams.geometry.to_numpy()[missing], predicate="within")
        names = units["name"].astype(str).to_numpy()
        first = pd.Series(pairs[1]).groupby(pairs[0]).first()
        unit[missing] = None
        unit[missing[first.index.to_numpy()]] = names[first.to_numpy()]
    return unit


def _village_rows(wb: Workbench, keep: BoolArray, new: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The village table with removed cameras taken out of their units and new ones put in theirs."""
    base = wb.villages.set_index("admin_unit")
    cams: dict[str, int] = {str(k): int(v) for k, v in base["cameras"].items()}
    chans: dict[str, int] = {str(k): int(v) for k, v in base["channels"].items()}
    in_extract: dict[str, bool] = {str(k): bool(v) for k, v in base["in_extract"].items()}
    old_ch = wb.cameras["channels"].to_numpy() if len(wb.cameras) else np.zeros(0)
    moves = [(u, -1, -int(c)) for u, c in zip(wb.camera_unit[~keep], old_ch[~keep], strict=True)]
    new_units = _units_of(new, wb.units) if len(new) else np.zeros(0, dtype=object)
    moves += [(u, 1, int(c)) for u, c in zip(new_units, new["channels"].to_numpy() if len(new) else [], strict=True)]
    for unit, dc, dch in moves:
        if unit is None or unit != unit:
            continue
        key = str(unit)
        cams[key] = cams.get(key, 0) + dc
        chans[key] = chans.get(key, 0) + dch
        in_extract.setdefault(key, False)
    need = wb.config.villages.min_channels
    return [
        {"admin_unit": k, "cameras": cams[k], "channels": chans[k], "meets_threshold": chans[k] >= need}
        for k in sorted(cams)
        if in_extract[k] or cams[k] > 0
    ]


def _area_class(
    name: str, t: gpd.GeoDataFrame, cams: gpd.GeoDataFrame, cfg: CoverageConfig, occ: Occluders | None, town: Town
) -> AreaClass:
    geoms = t.geometry.to_numpy()
    lonlat = _lonlat(shapely.point_on_surface(geoms), town.crs) if len(geoms) else np.zeros((0, 2))
    targets = ClassTargets.of(name, cfg, t, lonlat)
    space = np.asarray(geoms, dtype=object).copy()
    if occ is not None and len(occ):
        for i, a in enumerate(geoms):
            bi = occ.tree.query(a, predicate="intersects")
            if len(bi):
                space[i] = shapely.difference(a, shapely.union_all(occ.geoms[bi]))
    v = build_views(cams, cfg, targets.density)
    views = view_polygons(v, occ, ray_step_deg=cfg.view_ray_step_deg)
    tree = shapely.STRtree(space) if len(space) else shapely.STRtree(np.zeros(0, dtype=object))
    # the pairs come out as (view, area): tree holds areas, the query array is the views
    pairs = tree.query(views, predicate="intersects") if len(views) and len(space) else np.zeros((2, 0), int)
    touching = tuple(np.sort(pairs[0][pairs[1] == k]).astype(np.intp) for k in range(len(space)))
    open_m2 = shapely.area(space).astype(float) if len(space) else np.zeros(0)
    frac = np.array([_fraction(space[k], open_m2[k], views[touching[k]]) for k in range(len(space))], dtype=float)
    return AreaClass(
        targets,
        space,
        tree,
        open_m2,
        np.asarray(views, dtype=object),
        touching,
        frac,
        cfg.crowded_areas.covered_fraction,
    )


def _fraction(space: Any, open_m2: float, views: ObjectArray) -> float:
    if len(views) == 0 or open_m2 <= 0:
        return 0.0
    seen = shapely.intersection(space, shapely.union_all(views))
    return float(min(1.0, shapely.area(seen) / open_m2))


class _NewViews:
    """The added cameras' views, built once per pixel density within one what-if."""

    def __init__(self, new: gpd.GeoDataFrame, cfg: CoverageConfig) -> None:
        self.new, self.cfg, self.cache = new, cfg, dict[float, Views]()

    def at(self, density: float) -> Views:
        if density not in self.cache:
            self.cache[density] = build_views(self.new, self.cfg, density)
        return self.cache[density]


def _covered_points(pc: PointClass, keep: BoolArray, nv: _NewViews, wb: Workbench) -> BoolArray:
    """Targets seen by a kept existing camera or by a new one (only the new views are traced)."""
    base = np.asarray(pc.matrix @ keep.astype(np.int64)).ravel() > 0
    if len(nv.new) and len(pc.x):
        v = nv.at(pc.targets.density)
        m = point_coverage(v, pc.x, pc.y, wb.occluders, clearance=wb.config.los_clearance_m)
        base |= np.diff(m.indptr) > 0
    return np.asarray(base)


def _covered_areas(ac: AreaClass, keep: BoolArray, nv: _NewViews, wb: Workbench) -> BoolArray:
    frac = ac.base_fraction.copy()
    removed = set(np.flatnonzero(~keep).tolist())
    new_views = np.zeros(0, dtype=object)
    if len(nv.new):
        v = nv.at(ac.targets.density)
        new_views = np.asarray(view_polygons(v, wb.occluders, ray_step_deg=wb.config.view_ray_step_deg), dtype=object)
    # (new view, area) pairs: the tree holds the areas
    hit = (
        ac.space_tree.query(new_views, predicate="intersects")
        if len(new_views) and len(ac.space)
        else np.zeros((2, 0), int)
    )
    for k in range(len(ac.space)):
        mine = hit[0][hit[1] == k]
        lost = removed.intersection(ac.touching[k].tolist())
        if len(mine) == 0 and not lost:
            continue
        kept = [j for j in ac.touching[k].tolist() if j not in removed]
        views = np.r_[ac.views[kept], new_views[mine]] if kept or len(mine) else np.zeros(0, dtype=object)
        frac[k] = _fraction(ac.space[k], float(ac.open_m2[k]), np.asarray(views, dtype=object))
    return np.asarray(frac >= ac.threshold)


def whatif(wb: Workbench, add: Sequence[Camera] = (), remove: Sequence[str] = ()) -> WhatIf:
    """Coverage with ``add`` cameras added and ``remove`` (existing ids) taken away."""
    gone = set(remove)
    keep = np.asarray([str(i) not in gone for i in wb.camera_ids], dtype=bool)
    new = cameras_frame(list(add), wb.town.crs)
    classes: dict[str, ClassRatio] = {}
    rules: dict[str, ClassRatio] = {}
    features: list[dict[str, Any]] = []
    nv = _NewViews(new, wb.config)
    for name, pc in wb.points.items():
        cov = _covered_points(pc, keep, nv, wb)
        classes[name] = _ratio(cov)
        features += pc.targets.gaps(cov)
        if name == "intersections" and wb.legs is not None:
            leg_cov = _covered_points(wb.legs, keep, nv, wb)
            every = np.ones(len(cov), dtype=bool)
            np.logical_and.at(every, wb.leg_owner, leg_cov)
            rules = {"centre_seen": _ratio(cov), "every_approach_seen": _ratio(every)}
    for name, ac in wb.areas.items():
        cov = _covered_areas(ac, keep, nv, wb)
        classes[name] = _ratio(cov)
        features += ac.targets.gaps(cov)
    features.sort(key=lambda f: (f["properties"]["priority"], f["properties"]["class"], f["properties"]["target_id"]))
    every_cam = pd.concat([wb.cameras[keep], new], ignore_index=True) if len(new) else wb.cameras[keep]
    every_cam = gpd.GeoDataFrame(every_cam, geometry="geometry", crs=wb.town.crs)
    villages = _village_rows(wb, keep, new)
    return WhatIf(
        classes=dict(sorted(classes.items())),
        intersection_rules=rules,
        villages=villages,
        gaps={"type": "FeatureCollection", "features": features},
        cameras=every_cam,
    )
