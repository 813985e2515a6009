"""The plate n-gram index finds exactly what a scan with the pattern matcher finds."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from click.testing import CliRunner
from sqlalchemy import insert

from tests.investigate.checkpoint_rows import checkpoint_camera, checkpoint_sighting
from vision.tables import SightingRow
from xueliang.cli import cli
from xueliang.investigate.plate_index import candidate_plates, indexed_plates, refresh
from xueliang.investigate.plates_match import parse_plate_pattern
from xueliang.storage import CameraRow, Database

pytestmark = pytest.mark.postgresql

CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _sightings(db: Database, plates: list[str | None], start_id: int = 1) -> None:
    t = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    rows = [
        {"id": start_id + i, "video_id": None, **checkpoint_sighting(t + dt.timedelta(minutes=i), p)}
        for i, p in enumerate(plates)
    ]
    with db.engine.begin() as conn:
        if start_id == 1:
            conn.execute(insert(CameraRow), [checkpoint_camera(t)])
        conn.execute(insert(SightingRow.metadata.tables["sightings"]), rows)


def test_index_matches_a_scan(db: Database) -> None:
    rng = random.Random(3)
    plates = ["".join([rng.choice("晋京冀"), rng.choice("ABM"), *rng.choices(CHARS, k=5)]) for _ in range(1500)]
    _sightings(db, [*plates, *plates[:300], None])  # repeats and an unread plate
    assert refresh(db) == len(set(plates)) and refresh(db) == 0
    for text in ("晋M*12*", "*12*", "*1?3", "京A*", "?B1*", "*Z9Z9Z9*", "晋M12345", "*7"):
        for edits in (0, 1):
            pattern = parse_plate_pattern(text, max_edits=edits)
            found = candidate_plates(db, pattern, max_candidates=10**6)
            assert found.plates is not None
            assert set(found.plates) == {p for p in plates if pattern.score(p) > 0}, (text, edits)
    # a loose pattern is left to the scan
    assert candidate_plates(db, parse_plate_pattern("晋*"), max_candidates=10).plates is None
    # new sightings are picked up by the next lookup
    _sightings(db, ["晋M912345"], start_id=10_000)
    assert "晋M912345" in (candidate_plates(db, parse_plate_pattern("*9123*", max_edits=0)).plates or ())
    assert indexed_plates(db) == len(set(plates)) + 1


def test_search_without_window_uses_the_index(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from xueliang.investigate import plate_search

    _sightings(db, ["晋M012345", "晋M112345", "京A999999", "晋N012345"])
    # a rare pattern in a large table: the probe walk finds too few hits, the plates come from the index
    monkeypatch.setattr(plate_search, "PROBE", 1)
    monkeypatch.setattr(plate_search, "MAX_WALK", 0)
    r = CliRunner().invoke(cli, ["search", "--plate", "*12345", "--exact", "--json", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert '"count": 3' in r.output and "京A999999" not in r.output and '"method": "plates"' in r.output
    assert indexed_plates(db) == 4
