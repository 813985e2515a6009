"""Blind spots: cases outside the union of camera views, as demand weights."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from xueliang.errors import InputError
from xueliang.ledger.blindspots import (
    demand_points,
    find_blind_spots,
    read_views,
    tag_inside,
    write_demand_csv,
)
from xueliang.ledger.metrics import CaseTable

gpd = pytest.importorskip("geopandas")
shapely_geometry = pytest.importorskip("shapely.geometry")


def square(x0: float, y0: float, size: float) -> object:
    return shapely_geometry.box(x0, y0, x0 + size, y0 + size)


def write_views(folder: Path, geoms: list[object], crs: object = "EPSG:4326") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame({"camera_id": [f"CAM-{i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs)
    gdf.to_file(folder / "coverage.gpkg", layer="views", driver="GPKG")
    return folder


def cases(points: list[tuple[str, str, float, float, bool]]) -> CaseTable:
    n = len(points)
    nat = np.array(["NaT"] * n, dtype="datetime64[s]")
    return CaseTable(
        case_id=np.array([p[0] for p in points], dtype=object),
        case_type=np.array([p[1] for p in points], dtype=object),
        area=np.array([""] * n, dtype=object),
        occurred=np.array(["2024-01-01"] * n, dtype="datetime64[s]"),
        solved=np.array([p[4] for p in points], dtype=bool),
        obtained=np.zeros(n, dtype=bool),
        contribution=np.array(["none"] * n, dtype=object),
        requested_at=nat,
        expires_at=nat.copy(),
        lon=np.array([p[2] for p in points], dtype=float),
        lat=np.array([p[3] for p in points], dtype=float),
        hours_reviewed=np.full(n, np.nan),
        vehicles_screened=np.full(n, np.nan),
        vehicles_eliminated=np.full(n, np.nan),
    )


# Views: two squares, [0,1]x[0,1] and [2,3]x[0,1].
POINTS = [
    ("in1", "theft", 0.5, 0.5, False),
    ("edge", "theft", 1.0, 0.5, False),  # on the edge: covered
    ("gap1", "burglary", 1.5, 0.5, False),
    ("gap2", "theft", 1.50001, 0.50001, True),  # rounds to the same point as gap1 with 4 decimals
    ("far", "robbery", 5.0, 5.0, False),
    ("in2", "theft", 2.5, 0.2, True),
    ("nowhere", "theft", float("nan"), float("nan"), False),
]


def test_tag_inside_counts_edges_and_skips_missing_places() -> None:
    union = gpd.GeoSeries([square(0, 0, 1), square(2, 0, 1)]).union_all()
    t = cases(POINTS)
    assert tag_inside(union, t.lon, t.lat).tolist() == [True, True, False, False, False, True, False]


def test_find_blind_spots_and_weights() -> None:
    union = gpd.GeoSeries([square(0, 0, 1), square(2, 0, 1)]).union_all()
    res = find_blind_spots(cases(POINTS), union)
    assert (res.cases, res.inside, res.outside, res.without_place) == (7, 3, 3, 1)
    assert res.outside_case_ids == ("far", "gap1", "gap2")
    assert [(p.lon, p.lat, p.weight, p.case_ids) for p in res.points] == [
        (1.5, 0.5, 2.0, ("gap1", "gap2")),
        (5.0, 5.0, 1.0, ("far",)),
    ]
    unsolved = find_blind_spots(cases(POINTS), union, weight_by="unsolved", type_weights={"burglary": 3.0})
    assert [(p.weight, p.case_ids) for p in unsolved.points] == [(3.0, ("gap1", "gap2")), (1.0, ("far",))]
    fine = demand_points(cases(POINTS[2:4]), decimals=6)
    assert len(fine) == 2


def test_read_views_and_write_csv(tmp_path: Path) -> None:
    folder = write_views(tmp_path / "cov", [square(0, 0, 1), square(2, 0, 1)])
    union = read_views(folder)
    assert union.area == pytest.approx(2.0)
    res = find_blind_spots(cases(POINTS), union)
    out = tmp_path / "demand.csv"
    write_demand_csv(out, res.points)
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines(keepends=True)))
    assert rows == [
        ["lon", "lat", "weight", "case_ids"],
        ["1.5", "0.5", "2", "gap1;gap2"],
        ["5.0", "5.0", "1", "far"],
    ]


def test_read_views_repairs_invalid_polygons(tmp_path: Path) -> None:
    bowtie = shapely_geometry.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # self-intersecting
    union = read_views(write_views(tmp_path / "cov", [bowtie, square(5, 5, 1)]))
    t = cases([("a", "theft", 0.2, 1.0, False), ("b", "theft", 1.0, 0.2, False), ("c", "theft", 5.5, 5.5, False)])
    assert tag_inside(union, t.lon, t.lat).tolist() == [True, False, True]


def test_read_views_reprojects(tmp_path: Path) -> None:
    metric = gpd.GeoSeries([square(0, 0, 1)], crs=4326).to_crs(3857)
    folder = write_views(tmp_path / "cov", list(metric), crs=3857)
    assert read_views(folder).bounds == pytest.approx((0, 0, 1, 1), abs=1e-6)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_read_views_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"coverage\.gpkg: no such file; run `xueliang coverage` first"):
        read_views(tmp_path)
    write_views(tmp_path / "nocrs", [square(0, 0, 1)], crs=None)
    with pytest.raises(InputError, match="layer 'views' has no CRS; expected EPSG:4326"):
        read_views(tmp_path / "nocrs")
    write_views(tmp_path / "pts", [shapely_geometry.Point(0, 0)])
    with pytest.raises(InputError, match="expected Polygon or MultiPolygon geometries, got Point"):
        read_views(tmp_path / "pts")
    other = tmp_path / "other"
    other.mkdir()
    gpd.GeoDataFrame({"a": [1]}, geometry=[square(0, 0, 1)], crs=4326).to_file(
        other / "coverage.gpkg", layer="targets", driver="GPKG"
    )
    with pytest.raises(InputError, match="cannot read layer 'views'"):
        read_views(other)
