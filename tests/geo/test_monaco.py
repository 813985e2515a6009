"""Targets from a real OSM extract, checked against osmnx's own street counts."""

import warnings

import numpy as np
import pytest

from geo.analysis import run_coverage, summarise
from geo.cameras import Camera
from geo.config import CoverageConfig
from geo.targets import build_targets, junctions
from geo.town import Town, load_town

from ..conftest import shared_file
from .road_cameras import cameras_on_roads


@pytest.fixture(scope="module")
def monaco() -> Town:
    return load_town(shared_file("osm/monaco_osrm_2016.osm.pbf"), CoverageConfig())


def test_class_counts_from_monaco(monaco: Town) -> None:
    t = build_targets(monaco, CoverageConfig())
    counts = {k: len(v) for k, v in t.items()}
    # SOURCES.md: ~1,000 drivable 3+-street intersections before consolidation, 16 schools, 5 hospitals, 13 banks
    raw = junctions(monaco.roads, 3).groupby(["kx", "ky"]).ngroups
    assert 900 <= raw <= 1100
    assert 600 <= counts["intersections"] < raw  # consolidation within 10 m merges split junctions
    assert counts["key_sites"] >= 16 + 5 + 13
    assert counts["crowded_areas"] > 10
    assert counts["boundary_crossings"] > 20
    assert counts["main_road_nodes"] > 300


def test_intersections_agree_with_osmnx(monaco: Town) -> None:
    pytest.importorskip("osmnx")
    pytest.importorskip("pyrosm")
    import osmnx as ox
    from pyrosm import OSM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = OSM(str(shared_file("osm/monaco_osrm_2016.osm.pbf")))
        nodes, edges = osm.get_network(network_type="driving", nodes=True)
        graph = osm.to_graph(nodes, edges, graph_type="networkx", osmnx_compatible=True)
    spn = ox.stats.count_streets_per_node(graph)
    theirs = {(round(d["x"], 6), round(d["y"], 6)) for n, d in graph.nodes(data=True) if spn[n] >= 3}
    import geopandas as gpd
    import shapely

    j = junctions(monaco.roads, 3).groupby(["kx", "ky"]).first()
    pts = gpd.GeoSeries(shapely.points(j["x"], j["y"]), crs=monaco.crs).to_crs(4326)
    ours = {(round(p.x, 6), round(p.y, 6)) for p in pts}
    common = len(ours & theirs)
    # same nodes for the great majority; the rest differ by the two tools' drivable filters
    assert common / len(theirs) > 0.9
    assert abs(len(ours) - len(theirs)) / len(theirs) < 0.1
    consolidated = len(
        ox.consolidate_intersections(ox.project_graph(graph), tolerance=10, rebuild_graph=False, dead_ends=False)
    )
    ours_c = len(build_targets(monaco, CoverageConfig())["intersections"])
    assert abs(ours_c - consolidated) / consolidated < 0.1


def test_coverage_on_monaco_with_cameras_at_intersections(monaco: Town) -> None:
    cfg = CoverageConfig()
    t = build_targets(monaco, cfg)["intersections"].to_crs(4326)
    # a dome 3 m from every 4th intersection: those are covered at recognition, no others far away
    rng = np.random.default_rng(1)
    pick = np.arange(0, len(t), 4)
    cams = [
        Camera(
            id=f"d{i}",
            lon=t.geometry.iloc[i].x + 3e-5,
            lat=t.geometry.iloc[i].y,
            kind="dome",
            resolution_px=2560,
            height_m=4,
        )
        for i in pick
    ]
    rng.shuffle(cams)
    r = run_coverage(monaco, cams, cfg)
    covered = r.classes["intersections"].targets["covered"].to_numpy()
    assert covered[pick].mean() > 0.9  # a few stand inside a building footprint's shadow
    s = summarise(r, inputs={})
    assert s.classes["intersections"].covered == int(covered.sum())
    assert s.villages.units == 9  # Monaco's quartiers (admin_level 10)


def test_workbench_whatif_equals_a_full_run_on_monaco(monaco: Town) -> None:
    """The incremental what-if on a real town (23k buildings): 150 road cameras, 3 moved, 5 removed, 4 added."""
    import dataclasses

    from geo.basemap import build_basemap
    from geo.workbench import build_workbench, whatif

    cfg = CoverageConfig()
    rng = np.random.default_rng(5)
    cams = cameras_on_roads(monaco, 154, rng, ids="M{}", dome_every=5)
    old, extra = cams[:150], cams[150:]
    wb = build_workbench(monaco, old, cfg)
    moved = [dataclasses.replace(c, lon=c.lon + 0.0003, heading_deg=((c.heading_deg or 0) + 90) % 360) for c in old[:3]]
    gone = [c.id for c in old[:8]]
    got = whatif(wb, moved + extra, gone)
    edited = moved + extra + old[8:]
    full = run_coverage(monaco, edited, cfg)
    assert {k: (v.covered, v.total) for k, v in got.classes.items()} == {
        k: (int(c.targets["covered"].sum()), len(c.targets)) for k, c in full.classes.items()
    }
    rules = summarise(full, inputs={}).intersection_rules
    assert rules is not None
    assert got.intersection_rules["every_approach_seen"].covered == rules["every_approach_seen"].covered
    # the basemap stays light at town zoom: buildings thinned, every road kept
    bm = build_basemap(monaco)
    far = bm.query(None, 14)["features"]
    assert sum(f["properties"]["layer"] == "building" for f in far) < len(monaco.buildings) / 4
    assert sum(f["properties"]["layer"] == "road" for f in far) == len(monaco.roads)
