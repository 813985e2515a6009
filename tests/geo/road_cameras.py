"""Cameras at random road vertices of a town, random headings (the Monaco what-if test and its bench)."""

from __future__ import annotations

import numpy as np

from geo.cameras import Camera
from geo.town import Town


def cameras_on_roads(
    town: Town, n: int, rng: np.random.Generator, *, ids: str = "S{:04d}", dome_every: int = 0
) -> list[Camera]:
    """``n`` distinct road vertices (fewer when the roads have fewer), 60° 2560 px cameras 6 m up.

    ``ids`` formats each camera's index into its id; with ``dome_every`` k, cameras 0, k, 2k... are domes.
    """
    import geopandas as gpd
    import shapely

    xy = shapely.get_coordinates(town.roads.geometry.to_numpy())
    pick = xy[rng.choice(len(xy), size=min(n, len(xy)), replace=False)]
    ll = shapely.get_coordinates(gpd.GeoSeries(shapely.points(pick), crs=town.crs).to_crs(4326).to_numpy())
    return [
        Camera(
            id=ids.format(i),
            lon=float(lon),
            lat=float(lat),
            heading_deg=float(rng.uniform(0, 360)),
            fov_deg=60.0,
            resolution_px=2560,
            height_m=6.0,
            kind="dome" if dome_every and i % dome_every == 0 else "bullet",
        )
        for i, (lon, lat) in enumerate(ll)
    ]
