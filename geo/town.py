"""A town read once from an OSM extract: roads, buildings, points of interest, areas and admin units,
all projected to the local UTM zone (metres)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.arrays import ObjectArray
from geo.config import CoverageConfig
from geo.osm import read_layer, tag
from xueliang.errors import InputError
from xueliang.storage.files import sha256_file


@dataclass(frozen=True)
class Town:
    source: str
    sha256: str
    crs: CRS
    roads: gpd.GeoDataFrame  # drivable LineStrings: osm_id, name, highway
    buildings: gpd.GeoDataFrame  # Polygons: osm_id, name and tags (amenity, office, shop, other_tags)
    points: gpd.GeoDataFrame  # tagged nodes (GDAL points layer)
    areas: gpd.GeoDataFrame  # non-building multipolygons (GDAL multipolygons layer)
    admin: gpd.GeoDataFrame  # administrative units: name, admin_level, geometry
    repaired: dict[str, int] = field(default_factory=dict)  # invalid polygons repaired by make_valid, per layer

    def to_wgs84(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return gdf.to_crs(4326)


def utm_crs(lon: float, lat: float) -> CRS:
    """The UTM zone (WGS84) containing lon/lat."""
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def drivable_mask(lines: gpd.GeoDataFrame, cfg: CoverageConfig) -> pd.Series:
    hw = tag(lines, "highway")
    ok = hw.isin(cfg.drivable)
    service = tag(lines, "service")
    ok &= ~((hw == "service") & service.isin(cfg.excluded_service))
    access = tag(lines, "access")
    motor = tag(lines, "motor_vehicle")
    ok &= ~access.isin(["private", "no"]) | motor.isin(["yes", "designated", "permissive"])
    ok &= ~tag(lines, "area").isin(["yes"])
    return ok


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a valid geometry (make_valid can add lines and points): a (Multi)Polygon."""
    if shapely.get_type_id(geom) in (3, 6):  # Polygon, MultiPolygon
        return geom
    polys = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    parts = [q for p in polys for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(parts) if parts else shapely.Polygon()


def repair_polygons(geoms: ObjectArray) -> tuple[ObjectArray, int]:
    """Invalid polygons made valid (``shapely.make_valid``), keeping their polygonal part; how many were invalid.

    A polygon with nothing polygonal left (e.g. collapsed to a line) comes back empty.
    """
    out = np.asarray(geoms, dtype=object).copy()
    invalid = np.flatnonzero(~shapely.is_valid(out))
    if len(invalid):
        out[invalid] = [_polygonal(g) for g in shapely.make_valid(out[invalid])]
    return out, len(invalid)


def _repaired_frame(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """``gdf`` with its invalid polygons repaired and the empty or zero-area ones dropped."""
    geoms, n = repair_polygons(gdf.geometry.to_numpy())
    keep = ~shapely.is_empty(geoms) & (shapely.area(geoms) > 0)
    out = gdf.set_geometry(list(geoms), crs=gdf.crs)[keep].reset_index(drop=True)
    return out, n


def _read_polygons_file(path: Path, what: str, crs: CRS) -> gpd.GeoDataFrame:
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), f"{what}: no such file")
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(str(p), f"{what}: not a readable vector file ({exc})") from None
    if gdf.crs is None:
        raise InputError(str(p), f"{what}: no CRS declared; expected a CRS (e.g. EPSG:4326)")
    bad = ~gdf.geometry.is_valid | gdf.geometry.is_empty
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(str(p), f"{what}: invalid or empty geometry", where=f"feature {i}", field="geometry")
    return gdf.to_crs(crs)


def load_town(osm_path: str | Path, cfg: CoverageConfig) -> Town:
    src = str(osm_path)
    lines = read_layer(osm_path, "lines")
    polys = read_layer(osm_path, "multipolygons")
    points = read_layer(osm_path, "points")
    roads = lines[drivable_mask(lines, cfg).to_numpy()]
    if roads.empty:
        raise InputError(src, "no drivable roads in this extract (highway=* ways); is it an OSM extract of a town?")
    bounds = roads.total_bounds
    crs = utm_crs((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    roads = roads[["osm_id", "name", "highway", "geometry"]].assign(highway=tag(roads, "highway").to_numpy())
    roads = roads.explode(index_parts=False).to_crs(crs).reset_index(drop=True)
    roads = roads[roads.geom_type == "LineString"].reset_index(drop=True)

    is_building = polys["building"].notna() & (polys["building"] != "no")
    if cfg.buildings_file is not None:
        buildings = _read_polygons_file(cfg.buildings_file, "buildings_file", crs)
        buildings = buildings.assign(name=buildings.get("name"), osm_id=None)[["osm_id", "name", "geometry"]]
    else:
        keep = [
            c
            for c in ("osm_id", "osm_way_id", "name", "amenity", "office", "shop", "other_tags", "geometry")
            if c in polys.columns
        ]
        buildings = polys.loc[is_building, keep].to_crs(crs)
        buildings["osm_id"] = buildings["osm_id"].fillna(buildings["osm_way_id"])
        buildings = buildings.drop(columns="osm_way_id")
    buildings = buildings.explode(index_parts=False)
    buildings = buildings[buildings.geom_type == "Polygon"]
    buildings, fixed_buildings = _repaired_frame(buildings)
    buildings = buildings.explode(index_parts=False).reset_index(drop=True)

    areas = polys.loc[~is_building].to_crs(crs).reset_index(drop=True)
    areas, fixed_areas = _repaired_frame(areas)
    admin_all = areas[(tag(areas, "boundary") == "administrative").to_numpy()]
    name_col = tag(admin_all, "name")
    level_col = tag(admin_all, "admin_level")
    admin = gpd.GeoDataFrame(
        {
            "name": name_col.fillna(admin_all["osm_id"].astype(str)).to_numpy(),
            "admin_level": pd.to_numeric(level_col, errors="coerce").to_numpy(),
        },
        geometry=admin_all.geometry.to_numpy(),
        crs=crs,
    )
    pts = points.to_crs(crs).reset_index(drop=True)
    repaired = {"buildings": fixed_buildings, "areas": fixed_areas}
    return Town(src, sha256_file(osm_path), crs, roads, buildings, pts, areas, admin, repaired)
