"""``xueliang search --plate`` in pages: page 2 continues page 1 with no gap and no repeat, the total is
shown, every page is audited (SQLite and PostgreSQL: the same SQL on both)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select

from tests.investigate.checkpoint_rows import checkpoint_camera, checkpoint_sighting
from vision.tables import SightingRow
from xueliang.cli import cli
from xueliang.investigate.plates_match import parse_plate_pattern
from xueliang.investigate.search import SightingQuery, run_query
from xueliang.storage import AuditRow, CameraRow, Database

pytestmark = pytest.mark.postgresql

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
#: 18 exact matches of 晋A1*, 9 one character off (晋B1…), 6 others; several sightings share a time
PLATES = [f"晋A1{i % 6:02d}K" for i in range(18)] + [f"晋B1{i:02d}K" for i in range(9)] + ["京C9999"] * 6


def _fill(db: Database) -> None:
    rows = [checkpoint_sighting(T0 + dt.timedelta(minutes=(i * 7) % 23), p) for i, p in enumerate(PLATES)]
    with db.engine.begin() as conn:
        conn.execute(insert(CameraRow), [checkpoint_camera(T0)])
        conn.execute(insert(SightingRow.metadata.tables["sightings"]), rows)


def _pages(db_url: str, *extra: str) -> list[dict[str, object]]:
    pages: list[dict[str, object]] = []
    after: list[str] = []
    while True:
        args = ["search", "--plate", "晋A1*", "--limit", "7", "--json", "--actor", "li", "--db", db_url, *extra, *after]
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, r.output
        pages.append(json.loads(r.output))
        nxt = pages[-1]["next"]
        if nxt is None:
            return pages
        assert isinstance(nxt, str)
        after = ["--after", nxt]
        assert len(pages) < 10


def test_pages_continue_without_gap_or_repeat(db: Database, db_url: str) -> None:
    _fill(db)
    want = run_query(db, SightingQuery(plate=parse_plate_pattern("晋A1*"), limit=1000)).hits
    assert len(want) == 27  # by time, exact and one-off mixed
    pages = _pages(db_url)
    got = [h["sighting_id"] for p in pages for h in p["hits"]]  # type: ignore[attr-defined]
    assert got == [h.sighting_id for h in want]
    assert [p["count"] for p in pages] == [7, 7, 7, 6]
    assert all(p["total"] == 27 and p["total_is_estimate"] is False for p in pages[:1])
    assert [p["more"] for p in pages] == [True, True, True, False]
    with db.sessions() as s:  # every page is a search by a person: audited
        audited = s.scalars(select(AuditRow.query).where(AuditRow.action == "search")).all()
    assert len(audited) == 4 and sum('"after": null' in q for q in audited) == 1


def test_by_score_exact_matches_come_first_across_pages(db: Database, db_url: str) -> None:
    _fill(db)
    pages = _pages(db_url, "--sort", "score")
    hits = [h for p in pages for h in p["hits"]]  # type: ignore[attr-defined]
    scores = [h["score"] for h in hits]
    assert scores == [1.0] * 18 + [0.5] * 9
    ids = [h["sighting_id"] for h in hits]
    assert len(set(ids)) == 27
    for band in (1.0, 0.5):  # each band in time order
        times = [(h["first_seen"], h["sighting_id"]) for h in hits if h["score"] == band]
        assert times == sorted(times)


def test_text_output_says_the_total_and_the_next_page(db: Database, db_url: str) -> None:
    _fill(db)
    r = CliRunner().invoke(cli, ["search", "--plate", "晋A1*", "--limit", "5", "--actor", "li", "--db", db_url])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 7 and lines[5] == "5 sightings of 27"
    assert lines[6].startswith("next page: --after 1~2024-05-01T")
    bad = CliRunner().invoke(cli, ["search", "--plate", "晋A1*", "--after", "yesterday", "--db", db_url])
    assert bad.exit_code == 2 and "--after: expected the next-page cursor" in bad.output
    assert "Traceback" not in bad.output and len(bad.output.strip().splitlines()) == 1
    with db.sessions() as s:
        refused = s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action == "search-refused"))
    assert refused == 1
