"""Pixel density a planner can see: a camera's view as zones per IEC 62676-4 level, and its numbers.

Each zone is the view at that level's px/m (range ``R / (2 D tan(fov/2))``, see :mod:`geo.view`), traced
with rays cut at the first building; identification (250 px/m) is the innermost zone, detection (25)
the outermost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geo.arrays import FloatArray
from geo.config import CoverageConfig
from geo.coverage import Occluders, view_polygons
from geo.view import IEC_62676_4, max_range

LEVELS = ("detection", "observation", "recognition", "identification")  # outermost first
SENSOR_WIDTH_MM = 5.37  # a 1/2.8-inch sensor, the common street-camera size: for the focal length shown
DISTANCES_M = (5.0, 10.0, 20.0, 40.0, 80.0)


@dataclass(frozen=True)
class CameraNumbers:
    """What a click on a camera shows: lens, range per level and px/m at a few ground distances."""

    fov_deg: float
    focal_mm: float
    resolution_px: float
    height_m: float
    range_m: dict[str, float]
    px_per_m_at: dict[str, float]


def px_per_m(resolution_px: float, fov_deg: float, ground_m: float, height_m: float = 0.0) -> float:
    """Horizontal pixel density (px/m) at a ground distance from a camera ``height_m`` up."""
    slant = math.hypot(ground_m, height_m)
    half = math.radians(min(max(fov_deg, 1e-6), 179.0)) / 2.0
    return float(resolution_px / (2.0 * max(slant, 1e-6) * math.tan(half)))


def focal_mm(fov_deg: float) -> float:
    """The focal length (mm) that gives a horizontal field of view of ``fov_deg`` on the common sensor
    (:data:`SENSOR_WIDTH_MM`); the angle is held within 1e-6 to 179 degrees."""
    fov = min(max(fov_deg, 1e-6), 179.0)
    return SENSOR_WIDTH_MM / (2.0 * math.tan(math.radians(fov) / 2.0))


def camera_numbers(resolution_px: float, fov_deg: float, height_m: float) -> CameraNumbers:
    """Lens, range per level and px/m at distance for one camera (``fov_deg`` of the lens, not 360)."""
    fov = min(max(fov_deg, 1e-6), 179.0)
    focal = focal_mm(fov)
    ranges = {lv: round(float(max_range(resolution_px, fov, IEC_62676_4[lv], height_m)), 1) for lv in LEVELS}
    at = {f"{d:g}": round(px_per_m(resolution_px, fov, d, height_m), 1) for d in DISTANCES_M}
    return CameraNumbers(round(fov, 1), round(focal, 2), resolution_px, height_m, ranges, at)


def density_zones(
    cams: gpd.GeoDataFrame, cfg: CoverageConfig, occluders: Occluders | None
) -> list[tuple[str, str, float, shapely.Geometry]]:
    """Per camera and level (outermost first): ``(camera_id, level, px/m, polygon)`` in the frame's CRS."""
    from geo.analysis import build_views

    out: list[tuple[str, str, float, shapely.Geometry]] = []
    if len(cams) == 0:
        return out
    for level in LEVELS:
        density = IEC_62676_4[level]
        v = build_views(cams, cfg, density)
        polys = view_polygons(v, occluders, ray_step_deg=cfg.view_ray_step_deg)
        for cid, poly in zip(v.camera_id, polys, strict=True):
            out.append((str(cid), level, density, poly))
    out.sort(key=lambda z: (z[0], LEVELS.index(z[1])))
    return out


def lens_fov(cams: gpd.GeoDataFrame, cfg: CoverageConfig) -> FloatArray:
    """The lens field of view each camera's range uses (omni cameras: ``omni_lens_fov_deg``)."""
    d = cfg.camera_defaults
    fov = cams["fov_deg"].astype(float).fillna(d.fov_deg).to_numpy()
    omni = cams["kind"].isin(["dome", "ptz"]).to_numpy() | (fov >= 360)
    return np.asarray(np.where(omni & (fov >= 180), d.omni_lens_fov_deg, fov), dtype=float)
