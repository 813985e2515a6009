"""A tactic over the database reads only what it needs (window, plate, cameras pushed down as SQL);
the Parquet export keeps its layout (plate ids, one sorted file per day, same-day predecessors)
through incremental exports; the web Tactics page answers the same from the database or the mirror."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from tests.investigate.conftest import window
from vision.tables import SightingRow
from xueliang.investigate.passes import parse_json
from xueliang.investigate.passes_generate import City, generate_city, register_checkpoints, to_gat1400
from xueliang.investigate.passes_store import ingest
from xueliang.investigate.tactics import columnar, run
from xueliang.investigate.tactics.columnar import export_parquet
from xueliang.investigate.tactics.engines import DuckEngine
from xueliang.investigate.tactics.planted import planted_calls
from xueliang.investigate.tactics.service import execute, open_engine, reads_for
from xueliang.storage import Database, open_database


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, City, Path]:
    tmp = tmp_path_factory.mktemp("reads")
    city = generate_city(checkpoints=81, vehicles=80, days=4, seed=4)
    db = open_database(f"sqlite:///{tmp / 'r.db'}")
    register_checkpoints(db, city)
    body = json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": to_gat1400(city)}}, ensure_ascii=False)
    ingest(db, parse_json(body.encode(), source="city.json"))
    return db, city, tmp


def _count(db: Database, *where: Any) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(SightingRow).where(*where)) or 0)


@contextmanager
def _sightings_sql(db: Database) -> Iterator[list[str]]:
    """The SQL statements reading ``sightings`` while the block runs (on any engine: the web app opens its own)."""
    seen: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if "FROM sightings" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", spy)


def test_only_the_window_is_read_and_the_answer_is_the_same(stored: tuple[Database, City, Path]) -> None:
    db, city, _ = stored
    w = window(city.truths.frequent_window)
    assert w.start is not None and w.end is not None
    end = w.end + dt.timedelta(seconds=1)
    inside = _count(db, SightingRow.first_seen >= w.start, SightingRow.first_seen < end)
    assert 0 < inside < _count(db) / 2  # the database holds passes outside the window
    with _sightings_sql(db) as seen, open_engine(db, reads=reads_for("frequent", w)) as e:
        ((n, lo, hi),) = e.query("SELECT COUNT(*), MIN(t), MAX(t) FROM passes", {})
    assert n == inside and lo >= w.t1 and hi <= w.t2  # only the window came into memory
    assert seen and all("first_seen" in sql.split("WHERE", 1)[1] for sql in seen)  # filtered by the database
    pushed = execute(db, "frequent", lambda e: run.frequent(e, window=w), reads=reads_for("frequent", w))
    everything = execute(db, "frequent", lambda e: run.frequent(e, window=w))
    assert pushed.to_json() == everything.to_json()
    assert {(h.plates[0], h.camera_id) for h in pushed.hits} == set(city.truths.frequent)


def test_one_plate_is_read_for_footholds(stored: tuple[Database, City, Path]) -> None:
    db, city, _ = stored
    (plate, truth), *_ = city.truths.footholds.items()
    reads = reads_for("footholds", run.Window(), plate=plate)
    with open_engine(db, reads=reads) as e:
        assert e.query("SELECT DISTINCT plate FROM passes", {}) == [(plate,)]
    res = execute(db, "footholds", lambda e: run.footholds(e, plate=plate), reads=reads)
    assert {h.camera_id for h in res.hits} == set(truth)


def test_scenes_read_their_cameras_and_windows_only(stored: tuple[Database, City, Path]) -> None:
    db, city, _ = stored
    scenes = [run.SceneCameras((s.camera_id,), window((s.start, s.end))) for s in city.truths.scenes]
    reads = reads_for("area-collision", run.Window(), scenes=scenes)
    with open_engine(db, reads=reads) as e:
        ((n,),) = e.query("SELECT COUNT(*) FROM passes", {})
    assert n <= 20  # the crew's passes and whoever else passed those checkpoints in those hours
    res = execute(db, "area-collision", lambda e: run.area_collision(e, scenes=scenes, k=2), reads=reads)
    assert {h.key for h in res.hits} == set(city.truths.area_plates)


def test_incremental_export_keeps_one_sorted_file_per_day(
    stored: tuple[Database, City, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, city, tmp = stored
    out = tmp / "export"
    monkeypatch.setattr(columnar, "BATCH", 1000)  # many batches: later ones add to days already written
    export_parquet(db, out)
    days = sorted(out.glob("day=*"))
    assert len(days) >= city.truths.days and all([f.name for f in d.iterdir()] == ["passes.parquet"] for d in days)
    for d in days:
        t = pq.read_table(d / "passes.parquet")
        keys = list(zip(t["plate_id"].to_pylist(), t["t"].to_pylist(), t["id"].to_pylist(), strict=True))
        assert keys == sorted(keys)
    assert export_parquet(db, out) == (0, 0)  # nothing new
    total = _count(db)
    duck = DuckEngine(parquet=out)
    assert duck.query("SELECT COUNT(*), COUNT(DISTINCT id) FROM passes", {}) == [(total, total)]
    for name, call in planted_calls(city.truths).items():  # the export answers as the database does
        assert call(duck).to_json() == {**execute(db, name, call).to_json(), "passes": []}, name
    duck.close()


def test_cloned_speed_from_the_layout_equals_sorting_every_pass(duck: DuckEngine, city: City) -> None:
    """The layout's predecessors give the pairs a LAG over each plate's passes gives, in any window."""
    from xueliang.investigate.tactics import sql

    t0 = dt.datetime.fromisoformat(city.truths.start)
    windows = [run.Window(), run.Window(t0 + dt.timedelta(days=1, hours=5.5), t0 + dt.timedelta(days=4, hours=9))]
    for w in windows:
        for max_kmh in (150.0, 60.0):
            p = {"t1": w.t1, "t2": w.t2, "max_kmh": max_kmh, "min_metres": 1000.0}
            scanned = duck.query(sql.CLONED_SPEED, p)
            assert scanned == duck.query(sql.CLONED_SPEED_SORTED, p)
            assert scanned  # the clones (and at 60 km/h the fast decoys) are there to find
    # the planted clones commute 06:30-10:00 local: some of their pairs are across midnight UTC
    rows = duck.query(sql.CLONED_SPEED, {"t1": -1, "t2": 2**40, "max_kmh": 150.0, "min_metres": 1000.0})
    duck.register("evidence", "id BIGINT", [(i,) for r in rows for i in r[1:3]])
    at = {int(i): int(t) for i, t in duck.query("SELECT id, t FROM passes WHERE id IN (SELECT id FROM evidence)", {})}
    assert any(at[prev] // 86400 != at[pid] // 86400 for _, prev, pid, _, _ in rows)


def test_tactics_page_reads_the_window_or_the_mirror(stored: tuple[Database, City, Path]) -> None:
    """The web page's run over the database reads only the window; with a Parquet mirror, the same JSON."""
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    from fastapi.testclient import TestClient

    from tests.web.conftest import login
    from xueliang.web.app import create_app
    from xueliang.web.settings import WebSettings
    from xueliang.web.users import add_user

    db, city, tmp = stored
    mirror = tmp / "mirror"
    export_parquet(db, mirror)
    add_user(db, "ina", "investigator", "correct horse battery")
    start, end = city.truths.frequent_window
    params = {"tactic": "frequent", "start": start, "end": end}
    answers = []
    for folder in (None, mirror):
        settings = WebSettings(db_url=db.url, media_dir=tmp, passes_parquet=folder)
        with _sightings_sql(db) as seen, TestClient(create_app(settings)) as client:
            login(client, "ina", "correct horse battery")
            r = client.get("/api/tactics", params=params)
            assert r.status_code == 200, r.text
            answers.append(r.json())
        reads = [sql for sql in seen if "plate_text" in sql and "first_seen" in sql.split("FROM sightings", 1)[0]]
        if folder is None:
            assert reads and all("first_seen >=" in sql for sql in reads)  # the window, pushed down
        else:
            assert reads == []  # the mirror, not the database
    assert answers[0] == answers[1]
    assert {(r["plates"][0], r["camera_id"]) for r in answers[0]["results"]} == set(city.truths.frequent)
