"""The watch-alerts page and API: list newest first, filter by rule, acknowledge once (audited), auth first,
values shown as text; and in real Chromium (map marker, acknowledging from the page, a screenshot)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import login
from tests.web.factories import PASSWORD
from tests.web.live import log_in, serve
from xueliang.investigate.passes import parse_json
from xueliang.investigate.passes_store import ingest
from xueliang.investigate.watch import add_rule, check_new
from xueliang.storage import CameraRow, open_database
from xueliang.web.app import create_app
from xueliang.web.settings import WebSettings

DEVICE = "34020000001320000001"
HOSTILE = '<img src=x onerror="window.__xss=1">'


def _passes() -> bytes:
    recs = [
        {
            "MotorVehicleID": f"m{i}",
            "DeviceID": DEVICE,
            "PassTime": f"202405010{i}0000",
            "PlateNo": plate,
            "VehicleClass": "K32",
            "VehicleColor": "2",
        }
        for i, plate in enumerate(["晋A12345", "晋B77777", "晋A12346", "京N00001"])
    ]
    return json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": recs}}, ensure_ascii=False).encode()


@pytest.fixture(scope="module")
def alert_settings(tmp_path_factory: pytest.TempPathFactory) -> WebSettings:
    import datetime as dt

    from xueliang.web.users import add_user

    root = tmp_path_factory.mktemp("alerts")
    url = f"sqlite:///{root / 'a.db'}"
    db = open_database(url)
    with db.transaction() as s:
        s.add(
            CameraRow(
                id="kk-1",
                gb_id=DEVICE,
                name="east gate",
                lon=112.55,
                lat=37.87,
                channels=1,
                kind="bullet",
                imported_at=dt.datetime.now(dt.UTC),
            )
        )
    for role in ("investigator", "planner"):
        add_user(db, role, role, PASSWORD)
    add_rule(db, plate="晋A1234?", exact=True, actor="lead")  # 2 alerts
    add_rule(db, colours=["white"], vehicle_types=["suv"], actor="lead")  # 4 alerts
    res = ingest(db, parse_json(_passes(), source="day.json"), actor="lead")
    assert res.first_id is not None
    assert len(check_new(db, after_id=res.first_id - 1, actor="lead")) == 6
    db.dispose()
    return WebSettings(db_url=url, media_dir=root)


@pytest.fixture
def client(alert_settings: WebSettings) -> Iterator[TestClient]:
    with TestClient(create_app(alert_settings)) as c:
        yield c


def test_list_newest_first_and_by_rule(client: TestClient) -> None:
    login(client, "investigator")
    rows = client.get("/api/alerts").json()["alerts"]
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True) and len(rows) == 6
    one = client.get("/api/alerts", params={"rule": 1}).json()["alerts"]
    assert {r["plate_text"] for r in one} == {"晋A12345", "晋A12346"}
    assert all(r["camera_id"] == "kk-1" and r["lon"] == 112.55 and r["link"] is None for r in one)
    assert client.get("/api/alerts", params={"rule": "x"}).status_code == 422
    assert client.get("/api/alerts", params={"colour": "red"}).status_code == 422  # unknown filter refused


def test_acknowledge_once_audited(client: TestClient, alert_settings: WebSettings) -> None:
    login(client, "investigator")
    target = client.get("/api/alerts", params={"rule": 2}).json()["alerts"][-1]["id"]
    r = client.post(f"/api/alerts/{target}/ack", json={"note": "stopped at the east gate"})
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_by"] == "investigator" and r.json()["ack_note"] == "stopped at the east gate"
    again = client.post(f"/api/alerts/{target}/ack", json={"note": ""})
    assert again.status_code == 400 and "already acknowledged by investigator" in again.json()["detail"]
    assert client.post("/api/alerts/99999/ack", json={}).status_code == 404
    assert client.post(f"/api/alerts/{target}/ack", json={"note": "x", "extra": 1}).status_code == 422
    open_ids = {a["id"] for a in client.get("/api/alerts", params={"unacked": True}).json()["alerts"]}
    assert target not in open_ids and len(open_ids) == 5
    db = open_database(alert_settings.db_url)
    acks = [a for a in db.audit_log(500) if a.action == "watch-ack"]
    assert len(acks) == 1 and acks[0].actor == "investigator" and json.loads(acks[0].query)["alert"] == target
    assert any(a.action == "web.view.alerts" for a in db.audit_log(500))
    db.dispose()


def test_auth_before_body_and_roles(client: TestClient) -> None:
    r = client.post("/api/alerts/1/ack", content=b"{" * 1000, headers={"content-type": "application/json"})
    assert r.status_code == 401
    assert client.get("/api/alerts").status_code == 401
    login(client, "planner")
    assert client.get("/api/alerts").status_code == 403
    assert client.post("/api/alerts/1/ack", json={}).status_code == 403


def test_page_lists_and_filters(client: TestClient) -> None:
    login(client, "investigator")
    html = client.get("/investigator/alerts", params={"rule": 1}).text
    assert html.count('<tr data-alert="') == 2 and "晋A12345" in html and 'id="alert-map"' in html
    assert client.get("/investigator/alerts", params={"page": 0}).status_code == 422


# --- in Chromium -----------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser_page(alert_settings: WebSettings) -> Iterator[tuple[Any, str]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium: apt-get install chromium (the browser tests need it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from xueliang.report.build import CHROMIUM_FLAGS

    for base in serve(alert_settings):
        with sync_api.sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
            ctx = b.new_context(viewport={"width": 1280, "height": 900})
            page = ctx.new_page()
            log_in(page, base, "investigator", PASSWORD)
            yield page, base
            b.close()


def test_alerts_page_in_chromium(browser_page: tuple[Any, str], artifacts: Path) -> None:
    page, _base = browser_page
    dialogs: list[str] = []

    def on_dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.click("#nav-alerts")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#alert-table tbody tr")
    open_before = page.locator("button.ack-button").count()
    assert rows.count() >= 5 and open_before >= 4
    assert page.locator("#alert-map .leaflet-marker-icon").count() >= 1
    rows.first.locator("button.show-camera").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "camera kk-1" in popup.inner_text()
    first = rows.first
    first.locator("input.ack-note").fill(HOSTILE)
    first.locator("button.ack-button").click()
    first.locator("td.ack span").wait_for()
    assert HOSTILE in first.locator("td.ack").inner_text()  # shown as text
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("button.ack-button").count() == open_before - 1
    assert HOSTILE in page.locator("#alert-table").inner_text()
    assert page.evaluate("() => window.__xss === undefined") and dialogs == []
    page.check("#f-unacked")
    page.click("#alert-filter")
    page.wait_for_load_state("networkidle")
    assert page.locator("#alert-table tbody tr").count() == open_before - 1
    page.screenshot(path=str(artifacts / "watch_alerts.png"), full_page=True)
