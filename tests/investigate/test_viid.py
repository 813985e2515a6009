"""``POST /VIID/MotorVehicles``: HTTP Digest first, then one status per pushed object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")

import httpx
from fastapi.testclient import TestClient

from xueliang.investigate.passes_generate import generate_city, register_checkpoints, to_gat1400
from xueliang.storage import open_database
from xueliang.web.app import create_app
from xueliang.web.routes_viid import USERS_ENV, ha1
from xueliang.web.settings import WebSettings


def test_push_needs_digest_and_answers_per_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    city = generate_city(checkpoints=81, vehicles=30, days=2, seed=2)
    url = f"sqlite:///{tmp_path / 'v.db'}"
    db = open_database(url)
    register_checkpoints(db, city)
    users = tmp_path / "viid-users"
    users.write_text(f"# platform accounts\nplatform:{ha1('platform', 's3cret')}\n")
    monkeypatch.setenv(USERS_ENV, str(users))
    records = to_gat1400(city, slice(0, 20))
    records.append(dict(records[0]) | {"MotorVehicleID": "x-1", "DeviceID": "00000000000000000000"})
    body = json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": records}}, ensure_ascii=False)
    with TestClient(create_app(WebSettings(db_url=url, media_dir=tmp_path))) as client:
        r = client.post("/VIID/MotorVehicles", content=body)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith('Digest realm="xueliang-viid"')
        wrong = client.post("/VIID/MotorVehicles", content=body, auth=httpx.DigestAuth("platform", "guess"))
        assert wrong.status_code == 401
        for _ in range(2):  # a re-push stores nothing twice
            ok = client.post("/VIID/MotorVehicles", content=body, auth=httpx.DigestAuth("platform", "s3cret"))
            assert ok.status_code == 200, ok.text
            statuses = ok.json()["ResponseStatusListObject"]["ResponseStatusObject"]
            assert [s["StatusCode"] for s in statuses] == [0] * 20 + [4]
            assert statuses[-1]["Id"] == "x-1" and "DeviceID" in statuses[-1]["StatusString"]
            assert [s["Id"] for s in statuses[:20]] == [r["MotorVehicleID"] for r in records[:20]]
    with db.sessions() as s:
        from sqlalchemy import func, select

        from vision.tables import SightingRow

        assert s.scalar(select(func.count()).select_from(SightingRow)) == 20
    assert {a.actor for a in db.audit_log() if a.action == "passes-import"} == {"viid:platform"}


def test_push_refused_when_not_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(USERS_ENV, raising=False)
    with TestClient(create_app(WebSettings(db_url=f"sqlite:///{tmp_path / 'v.db'}", media_dir=tmp_path))) as client:
        assert client.post("/VIID/MotorVehicles", content="{}").status_code == 404


def test_tactics_page_and_export(tmp_path: Path) -> None:
    """The investigators' Tactics page runs a tactic, shows its results, exports JSON; audited as the user."""
    from tests.web.conftest import login
    from xueliang.investigate.passes import parse_json
    from xueliang.investigate.passes_store import ingest
    from xueliang.web.users import add_user

    city = generate_city(checkpoints=81, vehicles=80, days=4, seed=4)
    url = f"sqlite:///{tmp_path / 't.db'}"
    db = open_database(url)

    register_checkpoints(db, city)
    body = json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": to_gat1400(city)}}, ensure_ascii=False)
    ingest(db, parse_json(body.encode(), source="city.json"))
    add_user(db, "ana", "investigator", "correct horse battery")
    add_user(db, "pat", "planner", "correct horse battery")
    with TestClient(create_app(WebSettings(db_url=url, media_dir=tmp_path))) as client:
        login(client, "pat", "correct horse battery")
        assert client.get("/api/tactics?tactic=nocturnal").status_code in (401, 403)
        login(client, "ana", "correct horse battery")
        page = client.get("/investigator/tactics", params={"tactic": "cloned-plates", "case": "C-7"})
        assert page.status_code == 200
        for plate in city.truths.cloned_plates:
            assert f'data-key="{plate}"' in page.text
        assert 'id="tactic-data"' in page.text and "/api/tactics?" in page.text
        exported = client.get("/api/tactics", params={"tactic": "nocturnal"}).json()
        assert {r["key"] for r in exported["results"]} == set(city.truths.nocturnal)
        bad = client.get("/investigator/tactics", params={"tactic": "companions", "plate": "<i>zz"})
        assert "expected a whole plate" in bad.text and "<i>zz" not in bad.text  # set as text
        assert client.get("/api/tactics", params={"tactic": "frequent", "oops": "1"}).status_code == 400
    actions = [(a.action, a.actor) for a in db.audit_log() if a.action.startswith("tactic-")]
    assert ("tactic-cloned-plates", "ana") in actions and ("tactic-nocturnal", "ana") in actions
