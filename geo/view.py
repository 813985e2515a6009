"""Camera view model: a sector (heading, field of view, range) whose range follows from pixel density.

A camera with horizontal resolution ``R`` pixels and horizontal field of view ``f`` spreads ``R``
pixels over a width ``2 d tan(f/2)`` at distance ``d``; it delivers at least ``D`` px/m up to

    d_max = R / (2 D tan(f/2))

(slant distance; the ground distance is ``sqrt(d_max^2 - h^2)`` for a camera mounted ``h`` metres up).
Levels follow IEC 62676-4 (detection 25, observation 62, recognition 125, identification 250 px/m);
the 2025 edition's scale (20/40/80/125/250/500/1500 px/m) is selectable, and any px/m number is accepted.
Dome and PTZ cameras see 360 degrees; their range uses the lens field of view ``omni_lens_fov_deg``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geo.arrays import BoolArray, Columns, FloatArray, IndexArray, ObjectArray
from xueliang.errors import ConfigError

IEC_62676_4 = {"detection": 25.0, "observation": 62.0, "recognition": 125.0, "identification": 250.0}
IEC_62676_4_2025 = {
    "pd20": 20.0,
    "pd40": 40.0,
    "pd80": 80.0,
    "pd125": 125.0,
    "pd250": 250.0,
    "pd500": 500.0,
    "pd1500": 1500.0,
}
SCALES = {"iec62676-4": IEC_62676_4, "iec62676-4:2025": IEC_62676_4_2025}


def pixel_density(level: str | float, scale: str = "iec62676-4") -> float:
    """px/m for a named level of a scale, or a number of px/m given directly."""
    if isinstance(level, int | float):
        value = float(level)
    else:
        table = SCALES.get(scale)
        if table is None:
            raise ConfigError("level", f"unknown scale {scale!r}: expected one of {', '.join(SCALES)}")
        if level in table:
            value = table[level]
        else:
            try:
                value = float(level)
            except ValueError:
                raise ConfigError(
                    "level", f"unknown level {level!r} on scale {scale}: expected one of {', '.join(table)} or px/m"
                ) from None
    if not value > 0:
        raise ConfigError("level", f"pixel density must be more than 0 px/m, got {value:g}")
    return value


def max_range(
    resolution_px: FloatArray | float,
    fov_deg: FloatArray | float,
    density_px_m: float,
    height_m: FloatArray | float = 0.0,
) -> FloatArray:
    """Ground range (m) up to which the required pixel density is met; 0 where never met."""
    res = np.asarray(resolution_px, dtype=float)
    fov = np.clip(np.asarray(fov_deg, dtype=float), 1e-6, 179.0)
    slant = res / (2.0 * density_px_m * np.tan(np.radians(fov) / 2.0))
    h = np.asarray(height_m, dtype=float)
    ground2 = slant**2 - h**2
    return np.asarray(np.sqrt(np.clip(ground2, 0.0, None)), dtype=float)


@dataclass(frozen=True)
class Views(Columns):
    """Camera views as parallel arrays in a metric CRS (x east, y north, metres).

    ``heading`` is the compass bearing in degrees (0 north, clockwise) and is NaN for an omni view;
    ``half_fov`` in degrees (180 for omni); ``radius`` is the ground range in metres (0 = sees nothing
    at this level, e.g. an unknown direction counted as not covering).
    """

    camera_id: ObjectArray
    x: FloatArray
    y: FloatArray
    heading: FloatArray
    half_fov: FloatArray
    radius: FloatArray

    @property
    def omni(self) -> BoolArray:
        return np.asarray(self.half_fov >= 180.0)

    def subset(self, mask: BoolArray | IndexArray) -> Views:
        return Views(
            self.camera_id[mask], self.x[mask], self.y[mask], self.heading[mask], self.half_fov[mask], self.radius[mask]
        )


def bearing_deg(dx: FloatArray, dy: FloatArray) -> FloatArray:
    """Compass bearing (0 north, clockwise) of a vector."""
    return np.asarray(np.degrees(np.arctan2(dx, dy)) % 360.0)


def angle_diff_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Smallest absolute difference between two bearings, 0-180."""
    return np.asarray(np.abs((a - b + 180.0) % 360.0 - 180.0))


def in_sector(views: Views, cam: IndexArray, px: FloatArray, py: FloatArray) -> BoolArray:
    """For pairs (camera index, point): is the point inside the camera's sector (range and angle)?"""
    dx = px - views.x[cam]
    dy = py - views.y[cam]
    dist = np.hypot(dx, dy)
    ok = dist <= views.radius[cam]
    sector = ~(views.half_fov[cam] >= 180.0)
    if sector.any():
        diff = angle_diff_deg(bearing_deg(dx, dy), np.nan_to_num(views.heading[cam]))
        # a point at the camera's own position is inside its view
        ok &= ~sector | (diff <= views.half_fov[cam] + 1e-9) | (dist < 1e-9)
    return np.asarray(ok)


def sector_ray_bearings(heading: float, half_fov: float, step_deg: float) -> FloatArray:
    """Bearings of the rays that outline a view: the whole circle for omni, else edge to edge."""
    if half_fov >= 180.0:
        n = max(8, math.ceil(360.0 / step_deg))
        return np.asarray(np.linspace(0.0, 360.0, n, endpoint=False))
    n = max(2, math.ceil(2 * half_fov / step_deg) + 1)
    return np.asarray(np.linspace(heading - half_fov, heading + half_fov, n) % 360.0)
