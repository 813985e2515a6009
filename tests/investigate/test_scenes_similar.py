"""Multi-scene, similar-vehicle and trajectory queries find the planted vehicle among decoys."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.investigate.conftest import at
from vision.synth import SynthWorld, plant, unit
from xueliang.errors import InputError, NotFoundError
from xueliang.investigate.scenes import Scene, load_scenes, multi_scene, parse_scene_arg, run_multi_scene
from xueliang.investigate.search import Place, SightingQuery, TimeWindow, camera_positions
from xueliang.investigate.similar import VectorIndex, similar, trajectory
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)


def scene_at(db: Database, cam: str, h0: float, h1: float) -> Scene:
    lon, lat = camera_positions(db)[cam]
    return Scene(Place(lon, lat, 200), TimeWindow(at(h0), at(h1)))


def test_multi_scene_finds_covered_plate_vehicle_among_decoys(db: Database, world: SynthWorld) -> None:
    c = world.camera_ids
    rng = np.random.default_rng(5)
    target = unit(rng, 1, world.dim)[0]
    planted = plant(db, world, at=[(c[0], at(1.2)), (c[5], at(5.5)), (c[10], at(9.1))], base=target, seed=11)
    # decoys: same colour/type/covered plate, at one scene only; another vehicle at two scenes
    plant(db, world, at=[(c[0], at(1.3))], seed=12)
    plant(db, world, at=[(c[5], at(5.1))], seed=13)
    two = plant(db, world, at=[(c[0], at(1.4)), (c[5], at(5.7))], seed=14)
    scenes = [scene_at(db, c[0], 1, 2), scene_at(db, c[5], 5, 6), scene_at(db, c[10], 9, 10)]
    res = run_multi_scene(db, scenes, min_scenes=2, filters=SightingQuery(colours=("white",), vehicle_types=("suv",)))
    assert res.candidates, "the planted vehicle must be found"
    top = res.candidates[0]
    assert {h.sighting_id for h in top.hits} == set(planted)
    assert top.scenes == (0, 1, 2) and top.linked_by == "appearance" and top.strength > 0.85
    assert {h.sighting_id for h in res.candidates[1].hits} == set(two)
    assert all(len(cand.scenes) >= 2 for cand in res.candidates)
    three = run_multi_scene(db, scenes, min_scenes=3)
    assert [{h.sighting_id for h in cand.hits} for cand in three.candidates] == [set(planted)]


def test_multi_scene_links_readable_plates_and_never_links_two_different_plates(
    db: Database, world: SynthWorld
) -> None:
    c = world.camera_ids
    rng = np.random.default_rng(6)
    base = unit(rng, 1, world.dim)[0]
    a = plant(db, world, at=[(c[1], at(3.1))], plate_state="visible", plate_text="晋MA7777", seed=21)
    b = plant(db, world, at=[(c[2], at(7.2))], plate_state="visible", plate_text="晋MA7777", seed=22)
    # a look-alike with a different plate at the second scene must not join
    plant(db, world, at=[(c[1], at(3.3))], plate_state="visible", plate_text="晋MA8888", base=base, seed=23)
    plant(db, world, at=[(c[2], at(7.4))], plate_state="visible", plate_text="晋MA9999", base=base, seed=24)
    res = run_multi_scene(db, [scene_at(db, c[1], 3, 4), scene_at(db, c[2], 7, 8)])
    keys = {cand.key: cand for cand in res.candidates}
    assert set(keys) == {"晋MA7777"}
    assert {h.sighting_id for h in keys["晋MA7777"].hits} == set(a + b)
    assert keys["晋MA7777"].linked_by == "plate" and keys["晋MA7777"].strength == 1.0


def test_multi_scene_audit_and_bad_k(db: Database, world: SynthWorld) -> None:
    c = world.camera_ids
    scenes = [scene_at(db, c[0], 1, 2), scene_at(db, c[5], 5, 6)]
    multi_scene(db, scenes, actor="wang", case_id="K-1")
    assert db.audit_log()[0].action == "search-scenes" and db.audit_log()[0].actor == "wang"
    with pytest.raises(InputError, match=r"expected 1..2 \(the number of scenes\), got 3"):
        run_multi_scene(db, scenes, min_scenes=3)


def test_scene_parsing(tmp_path: Path) -> None:
    s = parse_scene_arg("112.5,37.8,300,2024-05-01T01:00:00Z,2024-05-01T02:00:00Z")
    assert s.place.metres == 300 and s.window.end > s.window.start
    with pytest.raises(InputError, match="scene 1: expected a radius > 0 metres, got 0"):
        parse_scene_arg("112.5,37.8,0,2024-05-01T01:00:00Z,2024-05-01T02:00:00Z")
    with pytest.raises(InputError, match="end after the start"):
        parse_scene_arg("112.5,37.8,10,2024-05-01T03:00:00Z,2024-05-01T02:00:00Z")
    with pytest.raises(InputError, match="expected LON,LAT,METRES,FROM,TO"):
        parse_scene_arg("112.5,37.8,10")
    good = tmp_path / "scenes.json"
    good.write_text(
        json.dumps(
            [
                {
                    "lon": 112.5,
                    "lat": 37.8,
                    "metres": 100,
                    "start": "2024-05-01T01:00",
                    "end": "2024-05-01T02:00",
                    "label": "shop",
                }
            ]
        ),
        encoding="utf-8",
    )
    assert load_scenes(good)[0].label == "shop"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"lon": 112.5, "lat": 37.8, "radius": 100, "start": "x", "end": "y"}]), encoding="utf-8")
    with pytest.raises(InputError, match="scene 1: 'metres'"):
        load_scenes(bad)
    csv = tmp_path / "scenes.csv"
    csv.write_text("lon,lat,metres,start,end\n112.5,37.8,100,2024-05-01T01:00,2024-05-01T00:00\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2: expected the end after the start"):
        load_scenes(csv)


def test_similar_by_sighting_finds_the_same_vehicle_first(db: Database, world: SynthWorld) -> None:
    c = world.camera_ids
    ids = plant(db, world, at=[(c[0], at(1)), (c[3], at(2)), (c[7], at(4)), (c[9], at(6))], seed=31, noise=0.03)
    res = similar(db, sighting_id=ids[0], k=3, actor="li")
    assert [r.hit.sighting_id for r in res.results] == sorted(
        ids[1:], key=lambda i: -next(r.similarity for r in res.results if r.hit.sighting_id == i)
    )
    assert {r.hit.sighting_id for r in res.results} == set(ids[1:])
    assert res.method == "exact" and db.audit_log()[0].action == "similar"
    with pytest.raises(NotFoundError, match="unknown 987654"):
        similar(db, sighting_id=987654)


def test_hnsw_recall_against_exact() -> None:
    rng = np.random.default_rng(0)
    vecs = unit(rng, 5000, 32)
    idx = VectorIndex(np.arange(5000, dtype=np.int64), vecs, ann_threshold=1)
    pytest.importorskip("faiss")
    assert idx.method == "hnsw"
    hits = 0
    for q in unit(rng, 50, 32):
        exact = set(idx.search(q, 10, method="exact")[0].tolist())
        approx = set(idx.search(q, 10, method="hnsw")[0].tolist())
        hits += len(exact & approx)
    assert hits / 500 >= 0.9


def test_trajectory_by_plate_and_by_appearance(db: Database, world: SynthWorld) -> None:
    c = world.camera_ids
    ids = plant(
        db,
        world,
        at=[(c[4], at(9)), (c[1], at(3)), (c[8], at(6))],
        plate_state="visible",
        plate_text="晋MZ0001",
        seed=41,
    )
    t = trajectory(db, plate="晋MZ0001")
    assert [p.hit.sighting_id for p in t.points] == [ids[1], ids[2], ids[0]]  # by time
    gj = t.to_geojson()
    line = gj["features"][0]
    assert line["geometry"]["type"] == "LineString" and len(line["geometry"]["coordinates"]) == 3
    pos = camera_positions(db)
    assert line["geometry"]["coordinates"][0] == list(pos[c[1]])
    covered = plant(db, world, at=[(c[2], at(2)), (c[6], at(1))], seed=42)
    t2 = trajectory(db, sighting_id=covered[0], min_similarity=0.9)
    assert [p.hit.sighting_id for p in t2.points] == [covered[1], covered[0]]
    assert [p.link for p in t2.points] == ["appearance", "query"] and t2.points[0].similarity >= 0.9
    t3 = trajectory(db, sighting_id=ids[0])  # a readable plate links the others by plate text
    assert [(p.hit.sighting_id, p.link) for p in t3.points] == [(ids[1], "plate"), (ids[2], "plate"), (ids[0], "query")]
    with pytest.raises(NotFoundError, match="got unknown 999999"):
        trajectory(db, sighting_id=999999)
    with pytest.raises(InputError, match="no wildcards"):
        trajectory(db, plate="晋M*")


def test_cli_multi_scene_from_file(db: Database, db_url: str, world: SynthWorld, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from xueliang.cli import cli

    c = world.camera_ids
    planted = plant(db, world, at=[(c[2], at(2.5)), (c[7], at(4.5)), (c[12], at(8.5))], seed=51)
    pos = camera_positions(db)
    scenes = [
        {
            "lon": pos[cam][0],
            "lat": pos[cam][1],
            "metres": 150,
            "start": at(h).isoformat(),
            "end": at(h + 1).isoformat(),
            "label": f"theft {k}",
        }
        for k, (cam, h) in enumerate([(c[2], 2), (c[7], 4), (c[12], 8)])
    ]
    f = tmp_path / "scenes.json"
    f.write_text(json.dumps(scenes), encoding="utf-8")
    r = CliRunner().invoke(
        cli,
        [
            "search",
            "--db",
            db_url,
            "--scenes",
            str(f),
            "-k",
            "3",
            "--type",
            "suv",
            "--colour",
            "white",
            "--plate-state",
            "covered",
            "--json",
            "--actor",
            "li",
            "--case",
            "S-1",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["count"] == 1
    assert {s["sighting_id"] for s in out["candidates"][0]["sightings"]} == set(planted)
    assert out["candidates"][0]["scene_count"] == 3
    r = CliRunner().invoke(cli, ["search", "--db", db_url, "--scenes", str(f), "--near", "1,1,1"])
    assert r.exit_code == 2 and "scenes bring their own place and window" in r.output


def test_trajectory_geojson_keeps_unlocated_sightings_undrawn() -> None:
    import datetime as dt
    import math

    from xueliang.investigate.search import Hit
    from xueliang.investigate.similar import Trajectory, TrajectoryPoint

    def hit(i: int, lon: float, lat: float) -> Hit:
        t = dt.datetime(2024, 5, 1, 1, i, tzinfo=dt.UTC)
        return Hit(i, 1, f"C{i}", lon, lat, t, t, "car", "suv", "white", "visible", "晋M1", "blue", "east", None)

    pts = (hit(1, 112.5, 37.8), hit(2, math.nan, math.nan), hit(3, 112.6, 37.9))
    t = Trajectory({}, tuple(TrajectoryPoint(h, 1.0, "plate") for h in pts))
    gj = json.loads(json.dumps(t.to_geojson(), allow_nan=False))  # valid JSON: no NaN anywhere
    path, *sightings = gj["features"]
    assert path["geometry"]["coordinates"] == [[112.5, 37.8], [112.6, 37.9]]
    assert [(f["properties"]["order"], f["properties"]["located"]) for f in sightings] == [
        (0, True),
        (1, False),
        (2, True),
    ]
    assert sightings[1]["geometry"] is None and sightings[1]["properties"]["camera_id"] == "C2"
