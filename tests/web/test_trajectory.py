"""A sighting's cross-camera trajectory through the app: GeoJSON order and coordinates, links, 404, audit."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import login
from tests.web.factories import TRAJ_CAMERAS, TRAJ_NO_POSITION, TRAJ_PLATE, TrajData
from xueliang.storage import open_database
from xueliang.web.app import create_app
from xueliang.web.settings import WebSettings


@pytest.fixture
def tc(traj_settings: WebSettings) -> Iterator[TestClient]:
    with TestClient(create_app(traj_settings)) as c:
        login(c, "investigator")
        yield c


def _audit(traj_data: TrajData) -> list[tuple[str, str, dict[str, object], int | None]]:
    db = open_database(traj_data.db_url)
    rows = [(a.action, a.actor, json.loads(a.query), a.result_count) for a in db.audit_log(limit=20)]
    db.dispose()
    return rows


def test_trajectory_geojson_in_time_order(tc: TestClient, traj_data: TrajData) -> None:
    ids = traj_data.ids
    r = tc.get(f"/api/sightings/{ids['a']}/trajectory")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    path, *points = fc["features"]
    ta, tb, tc_ = (list(TRAJ_CAMERAS[c]) for c in ("TA", "TB", "TC"))
    # b (TB 01:10), a (TA 01:40), gone (no position, 02:00), c (TC 02:30), look (TB 03:00, by appearance);
    # the same-looking car with another plate and the different-looking one are not on it
    assert path["geometry"] == {"type": "LineString", "coordinates": [tb, ta, tc_, tb]}
    assert path["properties"]["sightings"] == [ids["b"], ids["a"], ids["c"], ids["look"]]
    got = [
        (
            f["properties"]["sighting_id"],
            f["properties"]["order"],
            f["properties"]["camera_id"],
            f["geometry"] and f["geometry"]["coordinates"],
            f["properties"]["link"],
        )
        for f in points
    ]
    assert got == [
        (ids["b"], 0, "TB", tb, "plate"),
        (ids["a"], 1, "TA", ta, "query"),
        (ids["gone"], 2, TRAJ_NO_POSITION, None, "plate"),
        (ids["c"], 3, "TC", tc_, "plate"),
        (ids["look"], 4, "TB", tb, "appearance"),
    ]
    props = [f["properties"] for f in points]
    assert [p["first_seen"][11:16] for p in props] == ["01:10", "01:40", "02:00", "02:30", "03:00"]
    assert [p["located"] for p in props] == [True, True, False, True, True]
    assert props[2]["lon"] is None and props[2]["plate_text"] == TRAJ_PLATE
    assert 0.85 <= props[4]["similarity"] < 1.0 and props[4]["plate_text"] is None
    assert "thumbnail_path" not in props[0]  # no stored media path leaves the server
    assert props[0]["thumbnail_url"] == f"/media/sightings/{ids['b']}/thumbnail"
    assert tc.get(props[0]["thumbnail_url"]).status_code == 200
    # a stricter appearance threshold drops the appearance link and keeps the plate links
    strict = tc.get(f"/api/sightings/{ids['a']}/trajectory", params={"min_similarity": 0.999}).json()
    assert [f["properties"]["sighting_id"] for f in strict["features"][1:]] == [
        ids["b"],
        ids["a"],
        ids["gone"],
        ids["c"],
    ]
    assert tc.get(f"/api/sightings/{ids['a']}/trajectory", params={"min_similarity": 2}).status_code == 422


def test_same_vehicle_from_another_of_its_sightings(tc: TestClient, traj_data: TrajData) -> None:
    ids = traj_data.ids
    fc = tc.get(f"/api/sightings/{ids['c']}/trajectory").json()  # no embedding: plate links only
    assert [(f["properties"]["sighting_id"], f["properties"]["link"]) for f in fc["features"][1:]] == [
        (ids["b"], "plate"),
        (ids["a"], "plate"),
        (ids["gone"], "plate"),
        (ids["c"], "query"),
    ]


def test_trajectory_lookup_is_audited(tc: TestClient, traj_data: TrajData) -> None:
    sid = traj_data.ids["b"]
    assert tc.get(f"/api/sightings/{sid}/trajectory").status_code == 200
    action, actor, query, count = _audit(traj_data)[0]
    assert (action, actor, query["sighting"], count) == ("trajectory", "investigator", sid, 4)


def test_unknown_sighting_is_404_naming_it(tc: TestClient, traj_data: TrajData) -> None:
    before = _audit(traj_data)[:1]
    r = tc.get("/api/sightings/987654/trajectory")
    assert r.status_code == 404
    assert r.json() == {"detail": "sighting 987654 not found"}
    after = _audit(traj_data)
    assert after[1:2] == before  # one row more: the refusal (nothing was looked up)
    assert after[0][0] == "web.refused" and after[0][2]["why"] == "sighting 987654 not found"


def test_sighting_with_nothing_to_link_by_is_400(tc: TestClient, traj_data: TrajData) -> None:
    r = tc.get(f"/api/sightings/{traj_data.ids['lonely']}/trajectory")
    assert r.status_code == 400
    assert r.json()["detail"] == (
        "trajectory: expected a sighting with a readable plate or an appearance embedding to link by, "
        f"got sighting {traj_data.ids['lonely']} with neither"
    )


def test_only_investigators_get_trajectories(traj_settings: WebSettings, traj_data: TrajData) -> None:
    url = f"/api/sightings/{traj_data.ids['a']}/trajectory"
    with TestClient(create_app(traj_settings)) as c:
        assert c.get(url).status_code == 401
        login(c, "planner")
        assert c.get(url).status_code == 403


def test_detail_page_has_the_map(tc: TestClient, traj_data: TrajData) -> None:
    sid = traj_data.ids["a"]
    html = tc.get(f"/investigator/sightings/{sid}").text
    assert f'id="traj-map" data-sighting="{sid}"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/trajectory.js" in html
    assert tc.get("/static/trajectory.js").status_code == 200
