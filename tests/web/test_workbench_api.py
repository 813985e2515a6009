"""The workbench API on the sample town: roles before bodies, what-if, zones, scenarios, schedule."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.web.factories import WebData


def test_roles_are_checked_before_the_body_is_read(client: TestClient, as_role: Any) -> None:
    for url in ("/api/planner/whatif", "/api/planner/zones", "/api/planner/scenarios"):
        assert client.post(url, content=b"{not json").status_code == 401
    c = as_role("investigator")
    for url in ("/api/planner/whatif", "/api/planner/zones", "/api/planner/scenarios"):
        assert c.post(url, content=b"{not json").status_code == 403
    assert c.get("/api/planner/basemap").status_code == 403
    assert c.get("/api/planner/schedule.csv").status_code == 403
    assert c.get("/api/basemap?zoom=12").status_code == 200  # the trajectory map's basemap: any role


def test_bad_bodies_get_one_clear_line(as_role: Any) -> None:
    c = as_role("planner")
    r = c.post("/api/planner/whatif", content=b"{not json")
    assert r.status_code == 400 and r.json()["detail"].startswith("whatif body: expected a JSON body")
    r = c.post("/api/planner/whatif", json={"cameras": [{"lon": 200, "lat": 28}]})
    assert r.status_code == 400 and "cameras.0.lon" in r.json()["detail"]
    r = c.post("/api/planner/whatif", json={"cameras": [{"lon": 112.94, "lat": 28.23, "model": "nope"}]})
    assert r.status_code == 400 and "unknown model 'nope'" in r.json()["detail"]
    assert c.get("/api/planner/basemap?bbox=1,2,3").status_code == 400
    assert c.get("/api/planner/scenarios/..%2F..%2Fetc").status_code in (400, 404)
    r = c.post("/api/planner/scenarios", json={"name": "../x", "cameras": []})
    assert r.status_code == 400 and "name" in r.json()["detail"]


def test_basemap_from_the_coverage_runs_extract(as_role: Any) -> None:
    fc = as_role("planner").get("/api/planner/basemap?zoom=18").json()
    layers = {f["properties"]["layer"] for f in fc["features"]}
    assert {"road", "building", "admin"} <= layers
    assert "/" not in json.dumps([f["properties"] for f in fc["features"]])  # no file paths


def test_whatif_removing_and_adding(as_role: Any) -> None:
    c = as_role("planner")
    wb = c.get("/api/planner/workbench").json()
    base = wb["baseline"]["classes"]["intersections"]
    assert set(wb["baseline"]["intersection_rules"]) == {"centre_seen", "every_approach_seen"}
    ids = [cam["id"] for cam in wb["cameras"]]
    none = c.post("/api/planner/whatif", json={"remove": ids}).json()
    assert none["classes"]["intersections"]["covered"] == 0 < base["covered"]
    assert len(none["gaps"]["features"]) == sum(v["total"] for v in none["classes"].values())
    # one new dome on the first uncovered intersection covers it
    gap = next(f for f in wb["baseline"]["gaps"]["features"] if f["properties"]["class"] == "intersections")
    lon, lat = gap["geometry"]["coordinates"]
    body = {"cameras": [{"lon": lon, "lat": lat, "model": "dome-4mp"}]}
    more = c.post("/api/planner/whatif", json=body).json()
    assert more["classes"]["intersections"]["covered"] == base["covered"] + 1
    got = {f["properties"]["target_id"] for f in more["gaps"]["features"]}
    assert gap["properties"]["target_id"] not in got


def test_zones_and_numbers(as_role: Any) -> None:
    c = as_role("planner")
    r = c.post(
        "/api/planner/zones",
        json={"cameras": [{"id": "x", "lon": 112.94, "lat": 28.23, "heading": 90, "model": "bullet-4mp-6mm"}]},
    ).json()
    assert [f["properties"]["level"] for f in r["features"]] == [
        "detection",
        "observation",
        "recognition",
        "identification",
    ]
    n = r["numbers"]["x"]
    assert n["range_m"]["identification"] < n["range_m"]["detection"]


def test_scenarios_compare_export_and_schedule(as_role: Any, web_data: WebData, tmp_path: Path) -> None:
    from geo.cameras import read_cameras

    c = as_role("planner")
    wb = c.get("/api/planner/workbench").json()
    ids = [cam["id"] for cam in wb["cameras"]]
    add = [
        {"lon": 112.94, "lat": 28.23, "heading": 45, "model": "bullet-8mp-12mm"},
        {"lon": 112.941, "lat": 28.231, "heading": 90, "model": "bullet-4mp-6mm"},
    ]
    assert c.post("/api/planner/scenarios", json={"name": "two-more", "cameras": add}).status_code == 200
    assert c.post("/api/planner/scenarios", json={"name": "fewer", "remove": ids[:5]}).status_code == 200
    names = [s["name"] for s in c.get("/api/planner/scenarios").json()]
    assert {"two-more", "fewer"} <= set(names)
    cmp = c.get("/api/planner/scenarios/compare?a=two-more&b=fewer").json()
    assert cmp["a"]["cameras"] == 2 and cmp["b"]["removed"] == 5
    assert cmp["a"]["classes"]["intersections"]["covered"] >= cmp["b"]["classes"]["intersections"]["covered"]
    # the scenario's camera set is a camera file `xueliang plan --cameras` reads
    g = c.get("/api/planner/scenarios/fewer/cameras.geojson")
    f = tmp_path / "fewer.geojson"
    f.write_bytes(g.content)
    cams = read_cameras(str(f))
    assert len(cams) == len(ids) - 5 and not {cam.id for cam in cams} & set(ids[:5])
    sched = c.get("/api/planner/schedule.csv?scenario=two-more&codec=h264&retention_days=10").text
    rows = list(csv.reader(io.StringIO(sched)))
    assert rows[0][0] == "site" and len([r for r in rows[1:3] if r]) == 2
    assert {r[3] for r in rows[1:3]} == {"bullet-8mp-12mm", "bullet-4mp-6mm"}
    assert rows[-1][0] == "all" and float(rows[-1][2]) == 9000 + 6000
    bad = c.get("/api/planner/schedule.csv?scenario=two-more&codec=vp9")
    assert bad.status_code == 400 and "codec" in bad.json()["detail"]
    # the served plan's schedule: one row per proposed site
    import openpyxl

    plan_sites = json.loads((web_data.plan / "plan.geojson").read_text(encoding="utf-8"))["features"]
    x = c.get("/api/planner/schedule.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(x.content))
    assert book["schedule"].max_row == 1 + len(plan_sites)


def test_a_foreign_file_in_the_scenarios_folder_is_skipped_or_refused(as_role: Any, settings: Any) -> None:
    c = as_role("planner")
    settings.scenarios_dir.mkdir(parents=True, exist_ok=True)
    (settings.scenarios_dir / "junk.json").write_text("[1, 2]", encoding="utf-8")
    assert "junk" not in [s["name"] for s in c.get("/api/planner/scenarios").json()]
    r = c.get("/api/planner/scenarios/junk")
    assert r.status_code == 400 and "not a saved scenario" in r.json()["detail"]
