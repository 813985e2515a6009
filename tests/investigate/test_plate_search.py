"""Paged plate search: the same hits as the scan (run_query) on small data, whichever way it takes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from tests.investigate.checkpoint_rows import checkpoint_camera, checkpoint_sighting
from vision.tables import SightingRow
from xueliang.investigate import plate_search as ps
from xueliang.investigate.plate_index import Lookup, refresh
from xueliang.investigate.plates_match import parse_plate_pattern
from xueliang.investigate.search import SightingQuery, TimeWindow, run_query
from xueliang.storage import CameraRow, Database, open_database

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
CHARS = "0123456789ABC"


@pytest.fixture(scope="module")
def plates_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('plates') / 'p.db'}")
    rng = np.random.default_rng(3)
    pool = ["晋" + "".join(rng.choice(list(CHARS), 4)) for _ in range(300)] + ["晋AB*", "*C12"]
    with db.engine.begin() as conn:
        conn.execute(insert(CameraRow), [checkpoint_camera(T0)])
        rows = []
        for i in range(3000):
            at = T0 + dt.timedelta(minutes=int(rng.integers(0, 3 * 24 * 60)))  # many equal times: ties
            plate = pool[int(rng.integers(len(pool)))] if i % 50 else None
            rows.append(checkpoint_sighting(at, plate))
        conn.execute(insert(SightingRow.metadata.tables["sightings"]), rows)
    refresh(db)
    return db


PATTERN = st.builds(
    lambda head, body: head + body,
    st.sampled_from(["晋", "", "*", "?"]),
    st.text(alphabet=CHARS[:6] + "*?", min_size=1, max_size=5),
).filter(lambda t: any(c not in "*?" for c in t))


def reference(db: Database, text: str, edits: int, window: TimeWindow | None) -> list[int]:
    q = SightingQuery(plate=parse_plate_pattern(text, max_edits=edits), window=window, limit=100_000)
    return [h.sighting_id for h in run_query(db, q).hits]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=PATTERN,
    edits=st.sampled_from([0, 1]),
    windowed=st.booleans(),
    limit=st.sampled_from([1, 5, 40]),
    few=st.sampled_from([0, 2000]),
    loose=st.booleans(),
    probe=st.sampled_from([8000, 40, 1]),
    max_walk=st.sampled_from([0, 10**9]),
)
def test_pages_equal_the_scan(
    plates_db: Database,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    edits: int,
    windowed: bool,
    limit: int,
    few: int,
    loose: bool,
    probe: int,
    max_walk: int,
) -> None:
    monkeypatch.setattr(ps, "PROBE", probe)  # 8000: the probe walks the whole table; 1: it finds nothing
    monkeypatch.setattr(ps, "MAX_WALK", max_walk)  # 0: after the probe, the plates (or a walk by plate set)
    monkeypatch.setattr(ps, "FEW_PLATES", few)  # 0: every pattern walks the time index
    monkeypatch.setattr(ps, "WINDOW_PLATES", few)
    if loose:  # as when the gram index finds the pattern too loose (晋*): the walk tests each plate
        monkeypatch.setattr(ps, "candidate_plates", lambda db, pattern: Lookup(None, 99_999))
    window = TimeWindow(T0 + dt.timedelta(hours=20), T0 + dt.timedelta(hours=44)) if windowed else None
    want = reference(plates_db, text, edits, window)
    pattern = parse_plate_pattern(text, max_edits=edits)
    got: list[int] = []
    after = None
    for _ in range(len(want) // limit + 2):
        page = ps.plate_search(plates_db, pattern, window=window, limit=limit, after=after)
        got += [h.sighting_id for h in page.hits]
        if after is None and not page.total_is_estimate:
            assert page.total == len(want)
        if not page.more:
            break
        after = (page.hits[-1].first_seen, page.hits[-1].sighting_id)
    assert got == want
    assert not page.more


def test_methods_and_scores(plates_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    some = reference(plates_db, "晋A*", 0, None)
    assert some
    walked = ps.plate_search(plates_db, parse_plate_pattern("晋AB*", max_edits=0), limit=3)
    assert walked.method == "scan" and walked.more  # common here: the walk fills the page
    monkeypatch.setattr(ps, "PROBE", 100)
    monkeypatch.setattr(ps, "MAX_WALK", 0)  # the probe's share of hits says: too rare to walk on
    page = ps.plate_search(plates_db, parse_plate_pattern("晋AB*", max_edits=0), limit=3)
    assert page.method == "plates" and all(h.score > 0 for h in page.hits)
    assert page.total == len(some_ab := reference(plates_db, "晋AB*", 0, None)) > 3 and not page.total_is_estimate
    assert [h.sighting_id for h in page.hits] == [h.sighting_id for h in walked.hits] == some_ab[:3]
    whole = ps.plate_search(plates_db, parse_plate_pattern("晋" + "0" * 4, max_edits=0), limit=3)
    assert whole.method == "exact"
    monkeypatch.setattr(ps, "FEW_PLATES", 0)
    loose = ps.plate_search(plates_db, parse_plate_pattern("晋*", max_edits=0), limit=10)
    assert loose.method == "scan" and loose.more and loose.total_is_estimate
    assert 0.5 * 2940 < loose.total < 1.5 * 2940  # 49 in 50 sightings have a plate
    assert [h.sighting_id for h in loose.hits] == reference(plates_db, "晋*", 0, None)[:10]


@pytest.mark.parametrize(("probe", "max_walk"), [(8000, 10**9), (40, 0), (1, 10**9)])
@pytest.mark.parametrize("limit", [1, 7])
def test_ranked_pages_equal_the_scan_by_score(
    plates_db: Database, monkeypatch: pytest.MonkeyPatch, probe: int, max_walk: int, limit: int
) -> None:
    """Exact matches, then one character off, then partial plates, each by time; page after page with no
    gap or repeat, whichever way each band takes (a band after a full page only adds to the total)."""
    monkeypatch.setattr(ps, "PROBE", probe)
    monkeypatch.setattr(ps, "MAX_WALK", max_walk)
    for text, windowed in (("晋AB*", False), ("*12", True), ("晋?B*", False)):
        window = TimeWindow(T0 + dt.timedelta(hours=20), T0 + dt.timedelta(hours=44)) if windowed else None
        pattern = parse_plate_pattern(text, max_edits=1)
        q = SightingQuery(plate=pattern, window=window, limit=100_000, sort="score")
        want = [h.sighting_id for h in run_query(plates_db, q).hits]
        got: list[int] = []
        after = None
        for _ in range(len(want) // limit + 5):
            page = ps.plate_search(plates_db, pattern, window=window, limit=limit, after=after, ranked=True)
            got += [h.sighting_id for h in page.hits]
            if not page.more:
                break
            assert page.next is not None and ps.Cursor.parse(page.next.text()) == page.next
            after = page.next
        assert got == want, text
