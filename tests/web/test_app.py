"""The app through its HTTP interface: roles, media guard, search filters, marks, export, audit, OpenAPI."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.web.factories import PASSWORD, WebData
from xueliang.storage import Database, open_database
from xueliang.web.media import MediaPathError, safe_media_file

AsRole = Callable[[str], TestClient]

PAGES = {"planner": "/planner", "investigator": "/investigator", "reviewer": "/reviewer"}


def test_pages_need_login(client: TestClient) -> None:
    r = client.get("/investigator", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.get("/media/sightings/1/thumbnail").status_code == 401
    assert client.get("/api/sightings").status_code == 401


def test_wrong_password_is_refused(client: TestClient) -> None:
    r = client.post("/login", data={"username": "planner", "password": "wrong password"})
    assert r.status_code == 401 and "Wrong name or password" in r.text
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize(
    "nxt,where", [("/reviewer", "/reviewer"), ("//evil.example/", "/planner"), ("/\\evil", "/planner")]
)
def test_login_redirects_only_inside_the_app(client: TestClient, nxt: str, where: str) -> None:
    r = client.post("/login", data={"username": "planner", "password": PASSWORD, "next": nxt}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == where


def test_tampered_cookie_is_refused(as_role: AsRole) -> None:
    c = as_role("investigator")
    token = c.cookies["xueliang_session"]
    c.cookies.clear()
    c.cookies.set("xueliang_session", token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert c.get("/api/me").status_code == 401


@pytest.mark.parametrize("role", ["planner", "investigator", "reviewer", "admin"])
def test_each_role_reaches_only_its_pages(as_role: AsRole, role: str, web_data: WebData) -> None:
    c = as_role(role)
    assert c.get("/api/me").json() == {"name": role, "role": role}
    for owner, url in PAGES.items():
        expected = 200 if role in (owner, "admin") else 403
        assert c.get(url).status_code == expected, (role, url)
    sid = web_data.sighting_ids[0]
    footage = 200 if role in ("investigator", "admin") else 403
    assert c.get(f"/media/sightings/{sid}/thumbnail").status_code == footage
    assert c.get(f"/media/sightings/{sid}/frame").status_code == footage
    assert c.get(f"/api/sightings/{sid}").status_code == footage
    assert c.get("/api/sightings", params={"colour": "red"}).status_code == footage
    assert c.post(f"/api/sightings/{sid}/export").status_code == footage
    mark = c.post(f"/api/sightings/{sid}/marks", json={"mark": "keep", "reason": f"check by {role}"})
    assert mark.status_code == footage


def test_thumbnail_is_the_jpeg_on_disk(as_role: AsRole, web_data: WebData) -> None:
    r = as_role("investigator").get(f"/media/sightings/{web_data.sighting_ids[0]}/thumbnail")
    assert r.content == (web_data.media / "sightings/abababab/track00000_thumb.jpg").read_bytes()
    assert r.content[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    "path",
    ["../web.db", "sightings/../../web.db", "%2e%2e/web.db", "/etc/passwd", "//etc/passwd", "sightings/link-out"],
)
def test_media_paths_cannot_escape(as_role: AsRole, web_data: WebData, path: str) -> None:
    link = web_data.media / "sightings" / "link-out"
    if not link.is_symlink():
        link.symlink_to(web_data.root / "web.db")
    r = as_role("investigator").get(f"/media/files/{path}")
    assert r.status_code in (400, 404), (path, r.status_code)
    assert b"SQLite" not in r.content and b"root:" not in r.content


def test_stored_path_outside_media_is_refused(as_role: AsRole, web_data: WebData, tmp_path: Path) -> None:
    from vision.tables import SightingRow

    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"\xff\xd8\xff secret")
    db = open_database(web_data.db_url)
    sid = web_data.sighting_ids[-1]
    with db.transaction() as s:
        old = s.get(SightingRow, sid).thumbnail_path  # type: ignore[union-attr]
        s.execute(update(SightingRow).where(SightingRow.id == sid).values(thumbnail_path=str(secret)))
    try:
        r = as_role("investigator").get(f"/media/sightings/{sid}/thumbnail")
        assert r.status_code == 400 and b"\xff\xd8\xff secret" not in r.content
        assert str(web_data.media).encode() not in r.content
    finally:
        with db.transaction() as s:
            s.execute(update(SightingRow).where(SightingRow.id == sid).values(thumbnail_path=old))
        db.dispose()


def test_safe_media_file_rules(tmp_path: Path) -> None:
    media = tmp_path / "media"
    (media / "a").mkdir(parents=True)
    (media / "a" / "x.jpg").write_bytes(b"x")
    (tmp_path / "out.jpg").write_bytes(b"o")
    os.symlink(tmp_path / "out.jpg", media / "a" / "out.jpg")
    assert safe_media_file(media, "a/x.jpg") == (media / "a" / "x.jpg").resolve()
    assert safe_media_file(media, str(media / "a" / "x.jpg")) == (media / "a" / "x.jpg").resolve()
    for bad in ("../out.jpg", "a/../../out.jpg", str(tmp_path / "out.jpg"), "a/out.jpg"):
        with pytest.raises(MediaPathError, match="expected a path inside"):
            safe_media_file(media, bad)


def test_search_filters(as_role: AsRole) -> None:
    c = as_role("investigator")

    def plates(**q: str) -> list[str | None]:
        r = c.get("/api/sightings", params=q)
        assert r.status_code == 200, r.text
        return sorted((x["plate_text"] or "-") for x in r.json()["results"])

    assert plates(colour="red") == ["湘A12345", "湘A19999"]
    # the search API's plate matching: exact matches first, one character off ranked below
    assert plates(plate_prefix="湘A1") == ["湘A12345", "湘A19999", "湘A77777"]
    ranked = [x["plate_text"] for x in c.get("/api/sightings", params={"plate_prefix": "湘A1"}).json()["results"]]
    assert ranked[-1] == "湘A77777"
    assert plates(camera_id="CAM003") == ["-", "湘A77777"]
    assert plates(plate_state="covered") == ["-"]
    assert plates(plate_state="hidden") == ["-", "-"]  # covered or absent: no readable plate
    typo = c.get("/api/sightings", params={"plate_state": "coverd"})
    assert typo.status_code == 400 and "hidden (= covered or absent), got 'coverd'" in typo.json()["detail"]
    assert plates(vehicle_type="car", colour="white") == ["湘B55555"]
    assert plates(start="2026-11-20T08:10:00Z", end="2026-11-20T08:40:00Z") == ["-", "湘B55555"]
    assert c.get("/api/sightings", params={"colour": "red", "bogus": "1"}).status_code == 422


def test_search_and_export_are_audited(as_role: AsRole, web_data: WebData) -> None:
    c = as_role("investigator")
    c.get("/investigator", params={"colour": "white"})
    sid = web_data.sighting_ids[2]
    r = c.post(f"/api/sightings/{sid}/export")
    assert r.status_code == 200
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert {"sighting.json", "thumbnail.jpg", "frame.jpg", "SHA256SUMS"} <= set(z.namelist())
    assert json.loads(z.read("sighting.json"))["sighting"]["plate_text"] == "湘B55555"
    db = open_database(web_data.db_url)
    log = db.audit_log(limit=5)
    db.dispose()
    actions = [(a.action, a.actor) for a in log]
    assert actions[0] == ("web.export", "investigator")
    search = next(a for a in log if a.action == "web.search")
    assert json.loads(search.query)["colour"] == "white" and search.result_count == 2


def test_mark_keep_and_eliminate(as_role: AsRole, web_data: WebData) -> None:
    c = as_role("investigator")
    sid = web_data.sighting_ids[3]
    r = c.post(f"/api/sightings/{sid}/marks", json={"mark": "eliminate", "reason": "wrong colour"})
    assert r.status_code == 200 and r.json()["actor"] == "investigator"
    assert c.get(f"/api/sightings/{sid}").json()["sighting"]["mark"]["mark"] == "eliminate"
    bad = c.post(f"/api/sightings/{sid}/marks", json={"mark": "maybe", "reason": "x"})
    assert bad.status_code == 422
    extra = c.post(f"/api/sightings/{sid}/marks", json={"mark": "keep", "reason": "fits", "score": 3})
    assert extra.status_code == 422
    assert c.post("/api/sightings/999999/marks", json={"mark": "keep", "reason": "fits"}).status_code == 404


def test_planner_layers_and_plan(as_role: AsRole) -> None:
    c = as_role("planner")
    layers = c.get("/api/planner/coverage").json()
    assert {"views", "cameras", "intersections", "key_sites"} <= set(layers)
    assert len(layers["cameras"]["features"]) == 19
    plan = c.get("/api/planner/plan").json()
    assert plan["cameras_added"] == len(plan["sites"]["features"]) > 0


def test_reviewer_compliance(as_role: AsRole) -> None:
    data = as_role("reviewer").get("/api/reviewer/compliance").json()
    rows = {r["name"]: r for r in data["rows"]}
    assert rows["intersections"]["covered"] == 7 and rows["intersections"]["total"] == 38
    assert data["all_passed"] is False and rows["intersections"]["passed"] is False
    assert data["villages"] == {"meeting": 2, "total": 2, "min_channels": 6}


def test_reviewer_dashboard_shows_time_to_solve_ratios_and_funnel(as_role: AsRole) -> None:
    """The Kaplan–Meier chart (two curves rising from 0%), the forest plot (a hazard and an odds ratio
    per scope, placed on one log scale), and the funnel, each with its method line."""
    import re

    c = as_role("reviewer")
    page = c.get("/reviewer").text
    a = c.get("/api/reviewer/ledger").json()["ledger"]["analysis"]
    km = page[page.index('<svg id="ledger-km"') : page.index("</svg>", page.index('<svg id="ledger-km"'))]
    for css in ("km-useful", "km-not-useful"):
        pts = re.search(rf'class="{css}"[^>]*points="([^"]+)"', km)
        assert pts is not None, css
        ys = [float(p.split(",")[1]) for p in pts.group(1).split()]
        assert ys[0] == 200.0 and min(ys) < 200.0 and ys == sorted(ys, reverse=True)  # a share that only grows
    forest = page[page.index('<svg id="ledger-forest"') :]
    forest = forest[: forest.index("</svg>")]
    tts = a["time_to_solve"]
    fitted = [r for r in (tts["hazard_ratio"], *tts["hazard_ratio_by_type"]) if r["estimate"]]
    assert forest.count("hazard ratio</text>") == len(fitted) and forest.count("<circle") >= len(fitted) + 1
    xs = {float(m.group(2)): m.group(1) for m in re.finditer(r'<text x="([\d.]+)"[^>]*>([\d.]+)</text>', forest)}
    assert 1.0 in xs  # the tick of no difference
    for method in ("method-km", "method-forest", "method-funnel"):
        assert f'id="{method}">Method: ' in page
    steps = a["funnel"]["steps"]
    assert f'<td>{steps[-1]["step"]}</td><td class="num">{steps[-1]["count"]}</td>' in page


def test_openapi_lists_the_api(client: TestClient, as_role: AsRole) -> None:
    assert client.get("/openapi.json").status_code == 401
    spec = as_role("reviewer").get("/openapi.json").json()
    assert {"/api/sightings", "/api/sightings/{sighting_id}/marks", "/api/planner/coverage"} <= set(spec["paths"])


def test_multi_scene_search_through_the_search_api(as_role: AsRole, web_data: WebData) -> None:
    import csv

    from tests.web.factories import CAMERAS

    rows = csv.DictReader(CAMERAS.read_text(encoding="utf-8").splitlines(keepends=True))
    pos = {r["camera_id"]: (r["lon"], r["lat"]) for r in rows}
    a = "{},{},100,2026-11-20T07:59:00Z,2026-11-20T08:20:00Z".format(*pos["CAM001"])
    b = "{},{},100,2026-11-20T08:25:00Z,2026-11-20T09:40:00Z".format(*pos["CAM003"])
    c = as_role("investigator")
    one = c.post("/api/scenes", json={"scenes": [a, b], "min_scenes": 1}).json()["candidates"]
    plates = sorted(h["plate_text"] or "-" for cand in one for h in cand["sightings"])
    # CAM001 saw 湘A12345 and 湘B55555 in scene a; CAM003 the unreadable truck and 湘A77777 in scene b
    assert plates == ["-", "湘A12345", "湘A77777", "湘B55555"]
    hits = [h for cand in one for h in cand["sightings"]]
    assert all("thumbnail_path" not in h for h in hits)  # where the media folder is stays on the server
    assert {h["thumbnail_url"] for h in hits} == {f"/media/sightings/{h['sighting_id']}/thumbnail" for h in hits}
    both = c.post("/api/scenes", json={"scenes": [a, b], "min_scenes": 2}).json()["candidates"]
    assert both == []  # no vehicle was at both scenes
    r = c.get("/investigator/scenes", params={"scenes": a + "\n" + b, "k": 1})
    assert r.status_code == 200 and 'id="candidate-count">4 candidate vehicles' in r.text
    bad = c.get("/investigator/scenes", params={"scenes": "1,2,-5,2026-11-20T08:00:00Z,2026-11-20T09:00:00Z"})
    assert 'id="scenes-error"' in bad.text
    assert as_role("planner").post("/api/scenes", json={"scenes": [a]}).status_code == 403
    db = open_database(web_data.db_url)
    actions = [x.action for x in db.audit_log(limit=10)]
    db.dispose()
    assert "search-scenes" in actions


def test_sighting_json_is_the_search_hit_with_confidences_and_no_stored_paths(
    as_role: AsRole, web_data: WebData
) -> None:
    c = as_role("investigator")
    found = c.get("/api/sightings", params={"plate_prefix": "湘B55555"}).json()["results"]
    assert [x["plate_text"] for x in found] == ["湘B55555"]
    hit = found[0]
    sid = hit["id"]
    assert hit["sighting_id"] == sid and hit["camera_id"] == "CAM001"
    assert (hit["colour_confidence"], hit["vehicle_type_confidence"], hit["plate_text_confidence"]) == (0.8, 0.7, 0.85)
    assert hit["has_frame"] is True and hit["has_thumbnail"] is True and hit["mark"] is None
    assert hit["thumbnail_url"] == f"/media/sightings/{sid}/thumbnail"
    assert not any(k.endswith("_path") for k in hit)  # where the media folder is stays on the server
    detail = c.get(f"/api/sightings/{sid}").json()
    assert {k: v for k, v in detail["sighting"].items() if k != "score"} == {
        k: v for k, v in hit.items() if k != "score"
    }
    track = detail["trajectory"]
    first = dt.datetime.fromisoformat(hit["first_seen"])
    # the stored boxes: frame i*25 at first_seen + i s, x from 60 + 60 i, 120 px wide
    assert [p["frame"] for p in track] == [25 * i for i in range(8)]
    assert [dt.datetime.fromisoformat(p["at"]) for p in track] == [first + dt.timedelta(seconds=i) for i in range(8)]
    assert [(p["cx"], p["cy"]) for p in track] == [(120 + 60 * i, 190 + 5 * i) for i in range(8)]


def test_reviewer_ledger_figures_are_reused_until_the_ledger_changes(
    as_role: AsRole, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard and the API fit the ledger's models once; the next loads reuse the figures while the
    ledger's history, its camera links and the registry are unchanged."""
    import xueliang.ledger.metrics as metrics

    fits: list[int] = []
    real = metrics.ledger_stats

    def counted(*args: Any, **kwargs: Any) -> Any:
        fits.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(metrics, "ledger_stats", counted)
    c = as_role("reviewer")
    first = c.get("/api/reviewer/ledger").json()["ledger"]
    assert c.get("/reviewer").status_code == 200
    again = c.get("/api/reviewer/ledger").json()["ledger"]
    assert len(fits) == 1 and again == first and first["cases"] > 0


def test_ledger_fingerprint_changes_with_an_import_and_a_camera(db: Database, tmp_path: Path) -> None:
    """Equal while nothing changes; different after a ledger import and after a camera is registered."""
    from click.testing import CliRunner

    from xueliang.cli import cli
    from xueliang.report.data import ledger_fingerprint
    from xueliang.storage import CameraRow

    empty = ledger_fingerprint(db)
    assert ledger_fingerprint(db) == empty
    out = tmp_path / "ledger.csv"
    runner = CliRunner()
    assert runner.invoke(cli, ["ledger", "generate", "--n", "40", "--seed", "1", "--out", str(out)]).exit_code == 0
    r = runner.invoke(cli, ["ledger", "import", str(out), "--quiet", "--db", db.url])
    assert r.exit_code == 0, r.output
    imported = ledger_fingerprint(db)
    assert imported != empty and ledger_fingerprint(db) == imported
    with db.transaction() as s:
        s.add(CameraRow(id="cam-new", lon=116.4, lat=39.9, imported_at=dt.datetime.now(dt.UTC)))
    assert ledger_fingerprint(db) != imported
