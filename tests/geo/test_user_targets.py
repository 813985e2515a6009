"""Crowded areas and key sites from a user's file instead of OSM tags (``areas_file``, ``sites_file``)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo.config import CoverageConfig, CrowdedConfig, KeySitesConfig
from geo.targets import crowded_areas, key_sites
from geo.town import load_town

TOWN = Path(__file__).resolve().parents[2] / "sample_media" / "town.osm"


def test_user_file_areas_are_buffered_points_and_sites_are_street_fronts(tmp_path: Path) -> None:
    town = load_town(TOWN, CoverageConfig())
    x0, y0, x1, y1 = town.roads.total_bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    square, point = shapely.box(cx - 30, cy - 30, cx + 30, cy + 30), shapely.Point(cx + 200, cy + 10)
    path = tmp_path / "places.geojson"
    gpd.GeoDataFrame({"name": ["market", "gate"], "priority": [3, 1]}, geometry=[square, point], crs=town.crs).to_crs(
        4326
    ).to_file(path)
    cfg = CoverageConfig(crowded_areas=CrowdedConfig(areas_file=path), key_sites=KeySitesConfig(sites_file=path))

    areas = crowded_areas(town, cfg)
    assert list(areas["source_tag"]) == ["user", "user"] and list(areas["name"]) == ["market", "gate"]
    assert list(areas["priority"]) == [3, 1]
    assert list(areas.geom_type) == ["Polygon", "Polygon"]
    assert areas.geometry.iloc[0].area == pytest.approx(3600, rel=1e-3)
    # the point becomes a disc of point_radius_m (50 m by default)
    assert areas.geometry.iloc[1].area == pytest.approx(math.pi * 50**2, rel=0.02)

    sites = key_sites(town, cfg)
    assert list(sites["source_tag"]) == ["user", "user"] and list(sites.geom_type) == ["Point", "Point"]
    # a polygon site is seen from its street front: the point of its edge nearest its nearest road
    front = sites.geometry.iloc[0]
    assert front.distance(square.boundary) < 0.01
    nearest_road = town.roads.distance(square).min()
    assert town.roads.distance(front).min() == pytest.approx(nearest_road, abs=0.01)
    assert sites.geometry.iloc[1].distance(point) < 0.01
