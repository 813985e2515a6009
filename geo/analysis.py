"""The coverage run: cameras + town + config -> per-class coverage, gaps, village channel counts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo.arrays import BoolArray
from geo.cameras import Camera
from geo.config import CoverageConfig
from geo.coverage import Occluders, area_coverage, point_coverage, view_polygons
from geo.summary import CoverageSummary
from geo.targets import AREA_CLASSES, INTERSECTION_RULES, approach_points, build_targets, empty_notes
from geo.town import Town
from geo.view import Views, max_range, pixel_density

Progress = Callable[[str], None]


def cameras_frame(cameras: Sequence[Camera], crs: Any) -> gpd.GeoDataFrame:
    """Cameras as a GeoDataFrame in ``crs`` with every registry field as a column."""
    recs = [c.__dict__ for c in cameras]
    cols = list(Camera.__dataclass_fields__)
    df = pd.DataFrame.from_records(recs, columns=cols)
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
    return gdf.to_crs(crs)


def build_views(cams: gpd.GeoDataFrame, cfg: CoverageConfig, density: float) -> Views:
    """Sectors for every camera at one pixel density; unknown directions per ``cfg.unknown_direction``."""
    d = cfg.camera_defaults
    n = len(cams)
    kind = cams["kind"].to_numpy(dtype=object) if n else np.zeros(0, dtype=object)
    fov = cams["fov_deg"].astype(float).fillna(d.fov_deg).to_numpy() if n else np.zeros(0)
    omni = np.isin(kind, ["dome", "ptz"]) | (fov >= 360)
    heading = cams["heading_deg"].astype(float).to_numpy() if n else np.zeros(0)
    unknown = np.isnan(heading) & ~omni
    if cfg.unknown_direction == "omni":
        omni = omni | unknown
    lens = np.where(omni, np.where(fov >= 180, d.omni_lens_fov_deg, fov), fov)
    res = cams["resolution_px"].astype(float).fillna(d.resolution_px).to_numpy() if n else np.zeros(0)
    height = cams["height_m"].astype(float).fillna(d.height_m).to_numpy() if n else np.zeros(0)
    radius = max_range(res, lens, density, height)
    if cfg.unknown_direction == "not-covering":
        radius = np.where(unknown, 0.0, radius)
    xy = shapely.get_coordinates(cams.geometry.to_numpy()) if n else np.zeros((0, 2))
    return Views(
        camera_id=cams["id"].to_numpy(dtype=object) if n else np.zeros(0, dtype=object),
        x=xy[:, 0].astype(float),
        y=xy[:, 1].astype(float),
        heading=np.where(omni, np.nan, heading),
        half_fov=np.where(omni, 180.0, fov / 2.0),
        radius=np.asarray(radius, dtype=float),
    )


@dataclass(frozen=True)
class ClassResult:
    name: str
    level: str
    density_px_m: float
    targets: gpd.GeoDataFrame  # with columns covered, cameras (count), camera_ids; areas: open_m2, covered_fraction
    matrix: sp.csr_matrix | None  # point classes: targets x cameras


@dataclass(frozen=True)
class CoverageResult:
    town: Town
    config: CoverageConfig
    cameras: gpd.GeoDataFrame  # metric CRS; column in_extract
    views: gpd.GeoDataFrame  # one polygon per camera at the run's level
    classes: dict[str, ClassResult]
    villages: pd.DataFrame


def _villages(town: Town, cams: gpd.GeoDataFrame, cfg: CoverageConfig) -> pd.DataFrame:
    admin = town.admin
    level = cfg.villages.admin_level
    if level is None and len(admin):
        level = int(np.nanmax(admin["admin_level"].to_numpy(dtype=float)))
    units = admin[admin["admin_level"] == level] if level is not None else admin.iloc[0:0]
    unit = cams["admin_unit"].astype(object).to_numpy().copy() if len(cams) else np.zeros(0, dtype=object)
    missing = pd.isna(unit)
    if missing.any() and len(units):
        j = gpd.sjoin(cams[missing][["geometry"]], units[["name", "geometry"]], predicate="within", how="left")
        j = j[~j.index.duplicated()]
        unit[missing] = j["name"].to_numpy()
    df = pd.DataFrame({"admin_unit": unit, "channels": cams["channels"].to_numpy() if len(cams) else []})
    df = df.dropna(subset=["admin_unit"])
    counts = df.groupby("admin_unit").agg(cameras=("channels", "size"), channels=("channels", "sum"))
    all_units = sorted(set(units["name"].astype(str)) | set(counts.index.astype(str)))
    out = counts.reindex(all_units).fillna(0).astype(int).rename_axis("admin_unit").reset_index()
    out["in_extract"] = out["admin_unit"].isin(set(units["name"].astype(str)))
    out["meets_threshold"] = out["channels"] >= cfg.villages.min_channels
    out.attrs["admin_level"] = level
    return out


def _approaches_seen(tg: gpd.GeoDataFrame, v: Views, occ: Occluders | None, cfg: CoverageConfig) -> gpd.GeoDataFrame:
    """The second rule's columns: approaches, approaches_seen and every_approach_seen (see INTERSECTION_RULES)."""
    x, y, owner = approach_points(tg.reset_index(drop=True))
    seen = np.diff(point_coverage(v, x, y, occ, clearance=cfg.los_clearance_m).indptr) > 0
    tg = tg.copy()
    tg["approaches"] = np.bincount(owner, minlength=len(tg))
    tg["approaches_seen"] = np.bincount(owner, weights=seen, minlength=len(tg)).astype(int)
    tg["every_approach_seen"] = tg["approaches_seen"].to_numpy() == tg["approaches"].to_numpy()
    return tg


def run_coverage(
    town: Town,
    cameras: Sequence[Camera],
    cfg: CoverageConfig,
    *,
    progress: Progress | None = None,
) -> CoverageResult:
    say = progress or (lambda _msg: None)
    cams = cameras_frame(cameras, town.crs)
    bounds = shapely.box(*town.roads.total_bounds).buffer(500)
    cams["in_extract"] = cams.geometry.within(bounds).to_numpy() if len(cams) else []
    occ = Occluders.from_geoms(town.buildings.geometry.to_numpy()) if cfg.occlusion else None
    say(f"town: {len(town.roads)} drivable ways, {len(town.buildings)} buildings; cameras: {len(cams)}")
    targets = build_targets(town, cfg)
    say("targets: " + ", ".join(f"{k} {len(v)}" for k, v in targets.items()))
    views_by_density: dict[float, Views] = {}

    def views_at(density: float) -> Views:
        if density not in views_by_density:
            views_by_density[density] = build_views(cams, cfg, density)
        return views_by_density[density]

    ids = cams["id"].to_numpy(dtype=object) if len(cams) else np.zeros(0, dtype=object)
    classes: dict[str, ClassResult] = {}
    for name, tg in targets.items():
        level = cfg.class_level(name)
        density = pixel_density(level, cfg.scale)
        v = views_at(density)
        tg = tg.copy()
        if name in AREA_CLASSES:
            geoms = tg.geometry.to_numpy()
            near = np.zeros(len(v), dtype=bool)
            if len(geoms) and len(v):
                vt = shapely.STRtree(shapely.buffer(shapely.points(v.x, v.y), np.maximum(v.radius, 0.01)))
                near[np.unique(vt.query(geoms, predicate="intersects")[1])] = True
            which = np.flatnonzero(near & (v.radius > 0))
            polys = view_polygons(v, occ, ray_step_deg=cfg.view_ray_step_deg, which=which)
            open_m2, frac, touching = area_coverage(geoms, polys, occ) if len(geoms) else (np.zeros(0),) * 2 + ([],)
            tg["open_m2"] = np.round(open_m2, 1)
            tg["covered_fraction"] = np.round(frac, 4)
            tg["covered"] = frac >= cfg.crowded_areas.covered_fraction
            tg["cameras"] = [len(t) for t in touching]
            tg["camera_ids"] = [";".join(sorted(map(str, ids[which[t]]))) for t in touching]
            matrix = None
        else:
            xy = shapely.get_coordinates(tg.geometry.to_numpy()) if len(tg) else np.zeros((0, 2))
            matrix = point_coverage(v, xy[:, 0], xy[:, 1], occ, clearance=cfg.los_clearance_m)
            per = np.diff(matrix.indptr)
            tg["covered"] = per > 0
            tg["cameras"] = per
            tg["camera_ids"] = [
                ";".join(sorted(map(str, ids[matrix.indices[a:b]])))
                for a, b in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True)
            ]
            if name == "intersections":
                tg = _approaches_seen(tg, v, occ, cfg)
        classes[name] = ClassResult(name, str(level), density, tg, matrix)
        say(f"{name}: {int(tg['covered'].sum())} of {len(tg)} covered at {level} ({density:g} px/m)")
    base = views_at(pixel_density(cfg.level, cfg.scale))
    say("tracing view polygons")
    vpolys = view_polygons(base, occ, ray_step_deg=cfg.view_ray_step_deg)
    views = gpd.GeoDataFrame(
        {
            "camera_id": base.camera_id,
            "heading_deg": base.heading,
            "fov_deg": np.minimum(base.half_fov * 2, 360.0),
            "range_m": np.round(base.radius, 1),
            "direction_known": (~np.isnan(base.heading) | (base.half_fov >= 180)) if len(cams) else [],
        },
        geometry=list(vpolys),
        crs=town.crs,
    )
    villages = _villages(town, cams, cfg)
    return CoverageResult(town, cfg, cams, views, classes, villages)


def summarise(result: CoverageResult, *, inputs: dict[str, str]) -> CoverageSummary:
    """The figures of summary.json."""
    cfg = result.config
    cams = result.cameras
    classes: dict[str, Any] = {}
    for name, cr in result.classes.items():
        t = cr.targets
        entry: dict[str, Any] = {
            "total": len(t),
            "covered": int(t["covered"].sum()),
            "ratio": round(float(t["covered"].mean()), 4) if len(t) else None,
            "level": cr.level,
            "px_per_m": cr.density_px_m,
        }
        if name in AREA_CLASSES:
            total_open = float(t["open_m2"].sum())
            entry["area_weighted_ratio"] = (
                round(float((t["open_m2"] * t["covered_fraction"]).sum() / total_open), 4) if total_open else None
            )
            entry["open_area_m2"] = round(total_open, 1)
            entry["covered_when_fraction_at_least"] = cfg.crowded_areas.covered_fraction
        classes[name] = entry
    v = result.villages
    omni_mask = cams["kind"].isin(["dome", "ptz"]) | (cams["fov_deg"].astype(float) >= 360) if len(cams) else None
    unknown = int((cams["heading_deg"].isna() & ~omni_mask).sum()) if omni_mask is not None else 0
    omni = int(omni_mask.sum()) if omni_mask is not None else 0
    summary = {
        "classes": classes,
        "notes": empty_notes(result.town, cfg, {k: c.targets for k, c in result.classes.items()}),
        "geometry_repaired": dict(result.town.repaired),
        "villages": {
            "admin_level": v.attrs.get("admin_level"),
            "units": len(v),
            "min_channels": cfg.villages.min_channels,
            "meeting_threshold": int(v["meets_threshold"].sum()),
            "text": f"{int(v['meets_threshold'].sum())} of {len(v)} units have {cfg.villages.min_channels}+ channels",
        },
        "cameras": {
            "total": len(cams),
            "in_extract": int(cams["in_extract"].sum()) if len(cams) else 0,
            "unknown_direction": unknown,
            "unknown_direction_treatment": cfg.unknown_direction,
            "dome_or_ptz": omni,
            "channels": int(cams["channels"].sum()) if len(cams) else 0,
        },
        "level": str(cfg.level),
        "scale": cfg.scale,
        "px_per_m": pixel_density(cfg.level, cfg.scale),
        "occlusion": cfg.occlusion,
        "buildings": len(result.town.buildings),
        "projected_crs": result.town.crs.to_string(),
        "parameters": cfg.model_dump(mode="json"),
        "inputs_sha256": inputs,
        "intersection_rules": _rules(result),
    }
    return CoverageSummary.model_validate(summary)


def _rules(result: CoverageResult) -> dict[str, Any] | None:
    """Intersections counted under both rules, with their definitions."""
    cr = result.classes.get("intersections")
    if cr is None or "every_approach_seen" not in cr.targets.columns:
        return None
    t = cr.targets
    out = {}
    for rule, col in (("centre_seen", "covered"), ("every_approach_seen", "every_approach_seen")):
        n, c = len(t), int(t[col].sum())
        out[rule] = {
            "covered": c,
            "total": n,
            "ratio": round(c / n, 4) if n else None,
            "definition": INTERSECTION_RULES[rule],
        }
    return out


def gaps(result: CoverageResult) -> gpd.GeoDataFrame:
    """Every uncovered target of every class, in one frame (metric CRS)."""
    frames = []
    for name, cr in result.classes.items():
        t = cr.targets
        g = t.loc[~t["covered"].to_numpy(), ["target_id", "name", "priority", "geometry"]].copy()
        g.insert(0, "class", name)
        if name in AREA_CLASSES:
            g["covered_fraction"] = t.loc[~t["covered"].to_numpy(), "covered_fraction"].to_numpy()
        frames.append(g)
    if not frames:
        return gpd.GeoDataFrame({"class": [], "target_id": []}, geometry=[], crs=result.town.crs)
    out = pd.concat(frames, ignore_index=True)
    return (
        gpd.GeoDataFrame(out, geometry="geometry", crs=result.town.crs)
        .sort_values(["priority", "class", "target_id"], kind="stable")
        .reset_index(drop=True)
    )


def uncovered_mask(result: CoverageResult, name: str) -> BoolArray:
    return np.asarray(~result.classes[name].targets["covered"].to_numpy(dtype=bool))
