"""A basemap from the extract itself: roads by class, buildings, water and admin boundaries as GeoJSON.

No tiles and no internet: the layers come from the same :class:`~geo.town.Town` the coverage uses.
Large towns stay light by answering per view: only features inside the requested box, simplified to
about one screen pixel at the requested zoom, and buildings smaller than a few pixels dropped at low
zooms (Monaco's 23,000 buildings are drawn only when zoomed in far enough to see them).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import shapely

from geo.arrays import Columns, FloatArray, ObjectArray
from geo.osm import tag
from geo.town import Town

ROAD_CLASSES = {
    "motorway": "major",
    "motorway_link": "major",
    "trunk": "major",
    "trunk_link": "major",
    "primary": "major",
    "primary_link": "major",
    "secondary": "secondary",
    "secondary_link": "secondary",
    "tertiary": "secondary",
    "tertiary_link": "secondary",
}
WATER_TAGS = {
    "natural": ["water", "bay", "wetland"],
    "waterway": ["riverbank", "dock"],
    "landuse": ["reservoir", "basin"],
}


@dataclass(frozen=True)
class Basemap(Columns):
    """Features in WGS84 (lon/lat) with their layer (``road``, ``building``, ``water``, ``admin``) and class."""

    #: the most features one :meth:`query` answers with (the smallest buildings go first)
    max_features: ClassVar[int] = 20_000
    geoms: ObjectArray
    layer: ObjectArray
    kind: ObjectArray
    area_deg2: FloatArray
    tree: shapely.STRtree

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        b = shapely.total_bounds(self.geoms)
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))

    def query(self, bbox: tuple[float, float, float, float] | None = None, zoom: float = 16.0) -> dict[str, object]:
        """A FeatureCollection of the features in ``bbox`` (lon/lat), simplified for ``zoom`` (web-map zoom)."""
        if bbox is None:
            idx = np.arange(len(self))
        else:
            idx = np.sort(self.tree.query(shapely.box(*bbox), predicate="intersects"))
        pixel = 360.0 / (256.0 * 2.0 ** max(0.0, min(zoom, 22.0)))  # one screen pixel in degrees (at the equator)
        lat = (self.bounds[1] + self.bounds[3]) / 2.0
        pixel_y = pixel * math.cos(math.radians(lat))
        small = (self.layer[idx] == "building") & (self.area_deg2[idx] < (3 * pixel_y) ** 2)
        idx = idx[~small]
        truncated = len(idx) > self.max_features
        if truncated:  # keep the roads, water and boundaries; drop the smallest buildings first
            order = np.lexsort((-self.area_deg2[idx], self.layer[idx] == "building"))
            idx = np.sort(idx[order[: self.max_features]])
        geoms = shapely.simplify(self.geoms[idx], pixel_y / 2.0, preserve_topology=True)
        texts = shapely.to_geojson(geoms)
        features = [
            {"type": "Feature", "properties": {"layer": str(lay), "kind": str(k)}, "geometry": json.loads(t)}
            for t, lay, k in zip(texts, self.layer[idx], self.kind[idx], strict=True)
            if t is not None
        ]
        return {"type": "FeatureCollection", "features": features, "truncated": truncated, "zoom": zoom}


def build_basemap(town: Town) -> Basemap:
    """The basemap layers of ``town`` (drawn bottom to top: water, admin, buildings, roads)."""
    from geo.osm import match_tags

    roads = town.roads.to_crs(4326)
    buildings = town.buildings.to_crs(4326)
    hit, _ = match_tags(town.areas, WATER_TAGS)
    water = town.areas[hit.to_numpy()].to_crs(4326)
    admin = town.admin.to_crs(4326)
    road_kind = np.asarray([ROAD_CLASSES.get(str(h), "minor") for h in tag(roads, "highway")], dtype=object)
    admin_kind = np.asarray([f"admin_level {a:g}" if a == a else "admin" for a in admin["admin_level"]], dtype=object)
    parts = [
        (water.geometry.to_numpy(), "water", np.full(len(water), "water", dtype=object)),
        (shapely.boundary(admin.geometry.to_numpy()), "admin", admin_kind),
        (buildings.geometry.to_numpy(), "building", np.full(len(buildings), "building", dtype=object)),
        (roads.geometry.to_numpy(), "road", road_kind),
    ]
    geoms = np.concatenate([np.asarray(g, dtype=object) for g, _, _ in parts]) if parts else np.zeros(0, object)
    layer = np.concatenate([np.full(len(g), name, dtype=object) for g, name, _ in parts])
    kind = np.concatenate([np.asarray(k, dtype=object) for _, _, k in parts])
    ok = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    geoms, layer, kind = geoms[ok], layer[ok], kind[ok]
    return Basemap(geoms, layer, kind, shapely.area(geoms).astype(float), shapely.STRtree(geoms))
