"""The web search by plate in pages: the API's ``next`` and the page's "Next page" link continue with no
gap and no repeat, exact matches first; the total is shown; every page is audited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from tests.investigate.checkpoint_rows import checkpoint_camera, checkpoint_sighting
from tests.web.conftest import login
from tests.web.factories import PASSWORD
from vision.tables import SightingRow
from xueliang.storage import AuditRow, CameraRow, Database, open_database
from xueliang.web.app import create_app
from xueliang.web.settings import WebSettings
from xueliang.web.users import add_user

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
#: 16 exact matches of 晋A1*, 8 one character off, 5 others; several sightings share a time
PLATES = [f"晋A1{i % 5:02d}K" for i in range(16)] + [f"晋B1{i:02d}K" for i in range(8)] + ["京C9999"] * 5


@pytest.fixture
def paged(tmp_path: Path) -> Iterator[tuple[TestClient, Database]]:
    db_url = f"sqlite:///{tmp_path / 'paging.db'}"
    db = open_database(db_url)
    rows = [checkpoint_sighting(T0 + dt.timedelta(minutes=(i * 5) % 17), p) for i, p in enumerate(PLATES)]
    with db.engine.begin() as conn:
        conn.execute(insert(CameraRow), [checkpoint_camera(T0)])
        conn.execute(insert(SightingRow.metadata.tables["sightings"]), rows)
    add_user(db, "inv", "investigator", PASSWORD)
    with TestClient(create_app(WebSettings(db_url=db_url, media_dir=tmp_path / "media"))) as c:
        login(c, "inv")
        yield c, db
    db.dispose()


def _searches(db: Database) -> int:
    with db.sessions() as s:
        return len(s.scalars(select(AuditRow.id).where(AuditRow.action == "web.search")).all())


def test_api_pages_by_score_then_time(paged: tuple[TestClient, Database]) -> None:
    c, db = paged
    params = {"plate_prefix": "晋A1", "limit": "6"}
    hits, totals = [], []
    for _ in range(10):
        r = c.get("/api/sightings", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        hits += body["results"]
        totals.append((body["total"], body["total_is_estimate"]))
        if body["next"] is None:
            break
        params["after"] = body["next"]
    assert [h["score"] for h in hits] == [1.0] * 16 + [0.5] * 8
    assert len({h["id"] for h in hits}) == 24
    for band in (1.0, 0.5):
        keys = [(h["first_seen"], h["id"]) for h in hits if h["score"] == band]
        assert keys == sorted(keys)
    assert totals[0] == (24, False)
    assert _searches(db) == 4  # 6 + 6 + 6 + 6: each page audited
    bad = c.get("/api/sightings", params={"plate_prefix": "晋A1", "after": "1~yesterday~3"})
    assert bad.status_code == 400 and "after: expected the next-page cursor" in bad.json()["detail"]


def test_page_links_to_the_next_page(paged: tuple[TestClient, Database]) -> None:
    c, _db = paged
    url = "/investigator?plate_prefix=%E6%99%8BA1&limit=10"
    seen: list[str] = []
    for _ in range(5):
        r = c.get(url)
        assert r.status_code == 200, r.text
        seen += re.findall(r'data-id="(\d+)"', r.text)
        if len(seen) == 10:
            assert '<span id="result-total">of 24</span>' in r.text
        link = re.search(r'<a href="([^"]+)" id="next-page">', r.text)
        if link is None:
            break
        url = unescape(link.group(1))
        assert "after=" in url and "plate_prefix=" in url
    assert len(seen) == 24 and len(set(seen)) == 24
    zh = c.get("/investigator?plate_prefix=%E6%99%8BA1&limit=10", headers={"Accept-Language": "zh-CN"})
    assert "下一页" in zh.text and "，共 24 条" in zh.text
