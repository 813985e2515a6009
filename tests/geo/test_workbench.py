"""What-if on the sample town: the incremental answer equals a full coverage run of the same cameras."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from geo.analysis import run_coverage
from geo.basemap import build_basemap
from geo.cameras import Camera, read_cameras
from geo.config import CoverageConfig, load_coverage_config
from geo.density import LEVELS, camera_numbers, density_zones, px_per_m
from geo.town import Town, load_town
from geo.workbench import Workbench, build_workbench, whatif

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cfg() -> CoverageConfig:
    return load_coverage_config(None)


@pytest.fixture(scope="module")
def town(cfg: CoverageConfig) -> Town:
    return load_town(ROOT / "sample_media/town.osm", cfg)


@pytest.fixture(scope="module")
def cams() -> list[Camera]:
    return read_cameras(str(ROOT / "sample_media/cameras.csv"))


@pytest.fixture(scope="module")
def wb(town: Town, cams: list[Camera], cfg: CoverageConfig) -> Workbench:
    return build_workbench(town, cams, cfg)


def _full(town: Town, cams: list[Camera], cfg: CoverageConfig) -> dict[str, tuple[int, int]]:
    r = run_coverage(town, cams, cfg)
    return {k: (int(c.targets["covered"].sum()), len(c.targets)) for k, c in r.classes.items()}


def _ratios(w: object) -> dict[str, tuple[int, int]]:
    return {k: (v.covered, v.total) for k, v in w.classes.items()}  # type: ignore[attr-defined]


def test_no_edit_equals_the_coverage_run(wb: Workbench, town: Town, cams: list[Camera], cfg: CoverageConfig) -> None:
    assert _ratios(whatif(wb)) == _full(town, cams, cfg)


def test_edits_equal_a_full_run_of_the_edited_set(
    wb: Workbench, town: Town, cams: list[Camera], cfg: CoverageConfig
) -> None:
    moved = replace(cams[0], lon=cams[0].lon + 0.0004, heading_deg=(cams[0].heading_deg or 0) + 90)
    new = Camera(
        id="new-1",
        lon=cams[3].lon - 0.0003,
        lat=cams[3].lat,
        heading_deg=200.0,
        fov_deg=95.0,
        resolution_px=2560,
        height_m=5.0,
        kind="bullet",
        channels=2,
    )
    dome = Camera(
        id="new-2",
        lon=cams[5].lon,
        lat=cams[5].lat + 0.0003,
        fov_deg=360.0,
        resolution_px=2560,
        height_m=6.0,
        kind="dome",
    )
    gone = {cams[0].id, cams[1].id, cams[2].id}
    edited = [moved, new, dome] + [c for c in cams if c.id not in gone]
    got = whatif(wb, [moved, new, dome], sorted(gone))
    assert _ratios(got) == _full(town, edited, cfg)
    # the villages' channel counts follow the cameras
    before = {v["admin_unit"]: v["channels"] for v in whatif(wb).villages}
    after = {v["admin_unit"]: v["channels"] for v in got.villages}
    assert sum(after.values()) - sum(before.values()) == sum(c.channels for c in (moved, new, dome)) - sum(
        c.channels for c in cams if c.id in gone
    )
    assert len(got.cameras) == len(edited)


def test_removing_every_camera_uncovers_everything(wb: Workbench, cams: list[Camera]) -> None:
    w = whatif(wb, [], [c.id for c in cams])
    assert all(v.covered == 0 for v in w.classes.values())
    total = sum(v.total for v in w.classes.values())
    assert len(w.gaps["features"]) == total
    prio = [f["properties"]["priority"] for f in w.gaps["features"]]
    assert prio == sorted(prio)


def test_the_two_intersection_rules(wb: Workbench, town: Town, cfg: CoverageConfig) -> None:
    from geo.targets import approach_points, build_targets

    w = whatif(wb)
    centre, every = w.intersection_rules["centre_seen"], w.intersection_rules["every_approach_seen"]
    assert centre == w.classes["intersections"] and every.total == centre.total
    assert every.covered <= centre.covered
    # a dome on every approach point of one intersection makes it covered under both rules
    inter = build_targets(town, cfg)["intersections"]
    x, y, owner = approach_points(inter)
    assert len(x) > len(inter) and set(owner) == set(range(len(inter)))
    k = 0
    import geopandas as gpd
    import shapely

    ll = shapely.get_coordinates(gpd.GeoSeries(shapely.points(x[owner == k], y[owner == k]), crs=town.crs).to_crs(4326))
    domes = [
        Camera(id=f"d{i}", lon=float(lon), lat=float(lat), fov_deg=360.0, resolution_px=3840, height_m=4.0, kind="dome")
        for i, (lon, lat) in enumerate(ll)
    ]
    w2 = whatif(wb, domes)
    assert w2.intersection_rules["every_approach_seen"].covered >= max(1, every.covered)


def test_density_numbers_follow_the_view_formula() -> None:
    n = camera_numbers(2560, 50.0, 6.0)
    assert list(n.range_m) == list(LEVELS)
    assert n.range_m["identification"] < n.range_m["recognition"] < n.range_m["observation"] < n.range_m["detection"]
    # at the recognition range the density is 125 px/m
    assert px_per_m(2560, 50.0, n.range_m["recognition"], 6.0) == pytest.approx(125.0, rel=0.01)
    assert n.px_per_m_at["10"] == pytest.approx(px_per_m(2560, 50.0, 10.0, 6.0), abs=0.1)


def test_zones_are_nested_and_cut_at_buildings(wb: Workbench, cams: list[Camera], cfg: CoverageConfig) -> None:
    from geo.analysis import cameras_frame

    frame = cameras_frame(cams[:3], wb.town.crs)
    zones = density_zones(frame, cfg, wb.occluders)
    assert len(zones) == 3 * len(LEVELS)
    by_cam: dict[str, dict[str, object]] = {}
    for cid, level, _, poly in zones:
        by_cam.setdefault(cid, {})[level] = poly
    for levels in by_cam.values():
        areas = [levels[lv].area for lv in LEVELS]  # type: ignore[attr-defined]
        assert areas == sorted(areas, reverse=True) and areas[-1] > 0
    free = density_zones(frame, cfg, None)
    assert sum(z[3].area for z in zones) < sum(z[3].area for z in free)  # buildings cut some views


def test_basemap_layers_and_simplification(town: Town) -> None:
    bm = build_basemap(town)
    everything = bm.query(None, 18)
    layers = {f["properties"]["layer"] for f in everything["features"]}
    assert {"road", "building", "admin"} <= layers
    assert sum(f["properties"]["layer"] == "building" for f in everything["features"]) == len(town.buildings)
    far = bm.query(None, 11)
    assert sum(f["properties"]["layer"] == "building" for f in far["features"]) < len(town.buildings)
    assert sum(f["properties"]["layer"] == "road" for f in far["features"]) == len(town.roads)
    w, s, e, n = bm.bounds
    corner = bm.query((w, s, (w + e) / 2, (s + n) / 2), 18)
    assert 0 < len(corner["features"]) < len(everything["features"])


def test_coverage_summary_reports_both_rules_as_the_workbench_does(
    wb: Workbench, town: Town, cams: list[Camera], cfg: CoverageConfig
) -> None:
    from geo.analysis import summarise
    from geo.targets import INTERSECTION_RULES

    s = summarise(run_coverage(town, cams, cfg), inputs={})
    assert s.intersection_rules is not None
    w = whatif(wb)
    for rule, r in s.intersection_rules.items():
        assert (r.covered, r.total) == (w.intersection_rules[rule].covered, w.intersection_rules[rule].total)
        assert r.definition == INTERSECTION_RULES[rule]
    # the existing key keeps its value: the class ratio is the centre rule
    assert s.classes["intersections"].covered == s.intersection_rules["centre_seen"].covered
    assert '"intersection_rules"' in s.to_json()
