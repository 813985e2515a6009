"""Geometry from the real world: invalid polygons repaired and counted, empty layers give zero targets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from geo.candidates import grid_in
from geo.config import CoverageConfig
from geo.targets import build_targets
from geo.town import load_town, repair_polygons
from xueliang.cli import cli

from .osm_xml import OsmXml, camera

BOWTIE = [(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)]  # self-intersecting ring


def _shifted(coords: list[tuple[float, float]], lon: float, lat: float, size: float) -> list[tuple[float, float]]:
    return [(lon + x * size, lat + y * size) for x, y in coords]


def town_with_bowties(tmp_path: Path) -> Path:
    x = OsmXml()
    x.grid(113.0, 28.0, n=4, highway="primary")
    x.polygon(_shifted(BOWTIE, 113.0002, 28.0002, 0.0004), {"building": "yes"})
    x.polygon(_shifted(BOWTIE, 113.0012, 28.0012, 0.0006), {"amenity": "marketplace", "name": "Bow market"})
    x.polygon(_shifted(BOWTIE, 113.0022, 28.0022, 0.0004), {"building": "school", "amenity": "school"})
    # a kiosk on the crossing of the market's ring: differencing the unrepaired ring raised a GEOS TopologyException
    x.polygon(_shifted([(0, 0), (1, 0), (1, 1), (0, 1)], 113.00145, 28.00145, 0.0001), {"building": "kiosk"})
    x.node(113.0010, 28.0005, camera({"camera:direction": "0"}))
    return x.write(tmp_path / "bowtie.osm")


def test_repair_polygons_keeps_the_polygonal_part_and_counts() -> None:
    bowtie = shapely.Polygon(BOWTIE)
    square = shapely.box(0, 0, 1, 1)
    line_like = shapely.Polygon([(0, 0), (1, 1), (2, 2), (0, 0)])  # collapses to a line
    out, n = repair_polygons(np.array([bowtie, square, line_like], dtype=object))
    assert n == 2
    assert out[0].is_valid and out[0].area == pytest.approx(0.5)
    assert out[1] is square
    assert out[2].is_empty


def test_self_intersecting_polygons_are_repaired_and_counted(tmp_path: Path) -> None:
    osm = town_with_bowties(tmp_path)
    town = load_town(osm, CoverageConfig())
    assert town.repaired == {"buildings": 2, "areas": 1}
    assert len(town.buildings) == 2 + 2 + 1  # each bowtie became two triangles; the kiosk
    assert town.buildings.geometry.is_valid.all() and town.areas.geometry.is_valid.all()
    out = tmp_path / "cov"
    res = CliRunner().invoke(cli, ["coverage", "--osm", str(osm), "--cameras", str(osm), "--out", str(out), "--no-map"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["geometry_repaired"] == {"buildings": 2, "areas": 1}
    assert summary["classes"]["crowded_areas"]["total"] == 1
    assert "2 invalid buildings polygon(s) repaired (shapely.make_valid)" in summary["notes"]


def test_only_a_few_streets_gives_zero_targets_with_notes_and_plans(tmp_path: Path) -> None:
    x = OsmXml()
    x.grid(113.0, 28.0, n=2, step=0.0005)  # a single block: no junction of 3+ streets
    x.node(113.0002, 28.0, camera())
    osm = x.write(tmp_path / "few.osm")
    runner = CliRunner()
    inputs = ["--osm", str(osm), "--cameras", str(osm)]
    res = runner.invoke(cli, ["coverage", *inputs, "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "c" / "summary.json").read_text(encoding="utf-8"))
    assert {k: v["total"] for k, v in summary["classes"].items()} == dict.fromkeys(summary["classes"], 0)
    notes = " | ".join(summary["notes"])
    for words in ("no buildings", "no junction of 3+", "no main roads", "no crowded areas", "no key sites"):
        assert words in notes
    assert "no administrative boundaries" in notes
    assert "note: no buildings in this extract" in res.output
    targets = tmp_path / "t.toml"
    targets.write_text("time_limit_s = 5\n", encoding="utf-8")
    plan = runner.invoke(
        cli, ["plan", *inputs, "--budget", "100000", "--targets", str(targets), "--out", str(tmp_path / "p")]
    )
    assert plan.exit_code == 0, plan.output
    reported = ["--coverage", str(tmp_path / "c"), "--plan", str(tmp_path / "p"), "--no-pdf"]
    rep = runner.invoke(cli, ["report", "--osm", str(osm), *reported, "--out", str(tmp_path / "r")])
    assert rep.exit_code == 0, rep.output


def test_grid_in_an_empty_area_has_no_cells() -> None:
    # London's crowded area entirely covered by buildings left an empty open space: arange got NaN bounds
    xs, ys = grid_in(shapely.Polygon(), 10.0)
    assert len(xs) == len(ys) == 0
    xs, _ = grid_in(shapely.box(0, 0, 30, 20), 10.0)
    assert len(xs) == 6


def test_crowded_area_entirely_built_over_plans(tmp_path: Path) -> None:
    x = OsmXml()
    x.grid(113.0, 28.0, n=3, highway="primary")
    square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    x.polygon(_shifted(square, 113.0003, 28.0003, 0.0003), {"amenity": "marketplace"})
    x.polygon(_shifted(square, 113.0002, 28.0002, 0.0005), {"building": "retail"})
    osm = x.write(tmp_path / "built.osm")
    targets = tmp_path / "t.toml"
    targets.write_text("time_limit_s = 5\n", encoding="utf-8")
    res = CliRunner().invoke(
        cli, ["plan", "--osm", str(osm), "--budget", "100000", "--targets", str(targets), "--out", str(tmp_path / "p")]
    )
    assert res.exit_code == 0, res.output


def test_extract_across_a_utm_zone_border_uses_one_zone_with_true_distances(tmp_path: Path) -> None:
    from pyproj import Geod

    x = OsmXml()
    x.grid(5.998, 45.0, n=5, step=0.001)  # 5.998-6.002 E: UTM zones 31 and 32 meet at 6 E
    osm = x.write(tmp_path / "border.osm")
    town = load_town(osm, CoverageConfig())
    assert town.crs.to_epsg() in (32631, 32632)
    geod = Geod(ellps="WGS84")
    ll = town.roads.to_crs(4326).geometry
    true = np.array([geod.geometry_length(g) for g in ll])
    assert np.allclose(town.roads.length.to_numpy(), true, rtol=2e-3)
    targets = build_targets(town, CoverageConfig())
    assert len(targets["intersections"]) == 9 + 12  # 4 streets at the 9 inner nodes, 3 at the 12 edge nodes
