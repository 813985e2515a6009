"""The column-wise pass check gives exactly the record-by-record answer; the bulk store keeps every
guarantee (one transaction, indexes back, nothing half-written)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from xueliang.errors import InputError, StorageError
from xueliang.investigate import passes, passes_store
from xueliang.investigate.pass_batch import digit_times
from xueliang.investigate.pass_cells import CHINA_TZ, FIELDS, Pass, PassRejection, _Bad, check_record
from xueliang.investigate.passes import parse_csv, parse_json
from xueliang.storage import CameraRow, Database

CELL = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "0", "1", "01", "true", "False", "yes", "2", "5", "13", "99", "42", "K33", "H12", "car"]),
    st.sampled_from(["晋A12345", "晋a1234b", "无车牌", "未识别", "-", "AB%", " 京N9Z ", "ss", "晋A123456789X"]),
    st.sampled_from(["20240501083000", "20240230120000", "20241301000000", "20240501083000123", "19991231235959"]),
    st.sampled_from(["2024-05-01T08:30:00+09:00", "00010101000000", "99991231235959", "2024050108300", "yesterday"]),
    st.text(max_size=6),
    st.integers(-3, 120),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
KEYS = st.sampled_from([*FIELDS, "ShotTime"])
BASE = st.fixed_dictionaries(
    {
        "MotorVehicleID": st.sampled_from(["a", "b", "c", " d", "e" * 65, "f"]),
        "DeviceID": st.just("34020000001320000001"),
        "PassTime": st.just("20240501083000"),
    }
)
RECORD = st.one_of(
    st.builds(lambda base, extra: base | extra, BASE, st.dictionaries(KEYS, CELL, max_size=6)),
    st.integers(),
    st.lists(st.integers(), max_size=2),
)


def one_by_one(
    records: list[Any], numbers: list[int] | None = None
) -> tuple[list[tuple[int, Pass]], list[PassRejection]]:
    """The reference: each record checked alone, a repeated id rejected after its first."""
    kept: list[tuple[int, Pass]] = []
    rejected: list[PassRejection] = []
    first: dict[str, int] = {}
    for number, rec in zip(numbers or range(1, len(records) + 1), records, strict=True):
        try:
            p = check_record(rec, CHINA_TZ)
        except _Bad as bad:
            ext = rec.get("MotorVehicleID") if isinstance(rec, dict) else None
            ok = isinstance(ext, str | int) and not isinstance(ext, bool)
            rejected.append(PassRejection(number, str(ext)[:64] if ok else None, bad.field, bad.reason, bad.value))
            continue
        seen = first.setdefault(p.external_id, number)
        if seen != number:
            reason = f"repeats the id of record {seen}; kept that one"
            rejected.append(PassRejection(number, p.external_id, "MotorVehicleID", reason, None))
            continue
        kept.append((number, p))
    return kept, rejected


def envelope(records: list[Any]) -> bytes:
    return json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": records}}, ensure_ascii=False).encode()


@settings(max_examples=300, deadline=None)
@given(st.lists(RECORD, max_size=12))
def test_column_wise_check_equals_record_by_record(records: list[Any]) -> None:
    parsed = parse_json(envelope(records), source="f.json")
    kept, rejected = one_by_one(json.loads(envelope(records))["MotorVehicleListObject"]["MotorVehicleObject"])
    assert parsed.numbered() == kept
    assert list(parsed.rejections) == rejected
    assert parsed.records_read == len(records)


# cells a record boundary search can trip on: the boundary itself inside a text or between nested objects
TRAP = st.one_of(
    CELL,
    st.sampled_from(["},{", "a} , {b", '"},{"', "}]", "[{"]),
    st.lists(st.fixed_dictionaries({"k": st.integers(0, 3)}), min_size=2, max_size=3),
)
SPLIT_RECORD = st.one_of(
    RECORD,
    st.builds(lambda base, extra: base | extra, BASE, st.dictionaries(KEYS, TRAP, max_size=4)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(SPLIT_RECORD, max_size=10), st.sampled_from(["", " ", "\n  "]))
def test_a_file_checked_in_two_processes_equals_one(records: list[Any], space: str) -> None:
    """``workers=2`` (the halves of the list in this process and a forked one, joined) gives exactly the
    one-process answer: passes, numbers, rejections (an id repeated across the halves included)."""
    data = envelope(records)
    if space:
        data = data.replace(b"}, {", b"}" + space.encode() + b"," + space.encode() + b"{")
    whole = parse_json(data, source="f.json")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passes, "SPLIT_MIN_BYTES", 0)
        split = parse_json(data, source="f.json", workers=2)
    assert split.numbered() == whole.numbered()
    assert split.rejections == whole.rejections
    assert split.records_read == whole.records_read == len(records)


def test_halves_cut_between_records_or_fail_to_decode() -> None:
    recs = [{"MotorVehicleID": f"r{i}", "PlateNo": "京A"} for i in range(9)]
    halves = passes._halves(envelope(recs))
    assert halves is not None
    left, right = (json.loads(h) for h in halves)
    assert left + right == recs and left and right
    split = passes._parse_split(envelope(recs + recs[:2]), source="f.json", tz=CHINA_TZ)  # two processes
    assert split is not None and split.records_read == 11 and len(split.batch) == 0
    assert [(r.record, r.field) for r in split.rejections][:2] == [(1, "DeviceID"), (2, "DeviceID")]
    for k in range(9):  # a record boundary's look-alike in a text: cut there, neither half is JSON
        trap = [r | {"PlateNo": "},{"} if i == k else r for i, r in enumerate(recs)]
        halves = passes._halves(envelope(trap))
        assert halves is not None
        with pytest.MonkeyPatch.context() as patch:  # either way, two processes give the one-process answer
            patch.setattr(passes, "SPLIT_MIN_BYTES", 0)
            two = parse_json(envelope(trap), source="t.json", workers=2)
        one = parse_json(envelope(trap), source="t.json")
        assert (two.numbered(), two.rejections, two.records_read) == (one.numbered(), one.rejections, 9)
        try:
            left, right = (json.loads(h) for h in halves)
        except json.JSONDecodeError:
            continue
        assert left + right == trap
    assert passes._halves(b'{"MotorVehicleListObject": {"Other": 1, "MotorVehicleObject": [{}, {}]}}') is None
    assert passes._halves(envelope(recs)[:-1] + b', "Tail": 1}') is None  # only the bare envelope is cut


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fixed_dictionaries({"MotorVehicleID": st.text(max_size=4), "PassTime": CELL}), max_size=8))
def test_csv_column_wise_equals_record_by_record(rows: list[dict[str, Any]]) -> None:
    text = "MotorVehicleID\tDeviceID\tPassTime\n" + "".join(
        f"{r['MotorVehicleID']!s}\td\t{r['PassTime']!s}\n".replace("\r", "").replace('"', "") for r in rows
    )
    parsed = parse_csv(text.encode(), source="f.csv")
    import csv
    import io

    lines = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    kept_rows = [(n, line) for n, line in enumerate(lines[1:], start=2) if any(c.strip() for c in line)]
    recs = [
        dict(zip(("MotorVehicleID", "DeviceID", "PassTime"), line + [""] * 3, strict=False)) for _, line in kept_rows
    ]
    kept, rejected = one_by_one(recs, [n for n, _ in kept_rows])
    assert parsed.numbered() == kept
    assert list(parsed.rejections) == rejected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)), max_size=20))
def test_digit_times_match_datetime(times: list[dt.datetime]) -> None:
    texts = [t.strftime("%Y%m%d%H%M%S") for t in times]
    us, ok = digit_times(texts, CHINA_TZ)
    assert ok.all()
    for t, got in zip(times, us.tolist(), strict=True):
        want = t.replace(microsecond=0, tzinfo=CHINA_TZ).astimezone(dt.UTC)
        assert got == (want - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


# --- the store -------------------------------------------------------------------------------------
def _camera(db: Database, camera_id: str = "kk-1", gb_id: str = "34020000001320000001") -> None:
    with db.transaction() as s:
        s.add(
            CameraRow(
                id=camera_id,
                gb_id=gb_id,
                lon=112.5,
                lat=37.8,
                channels=1,
                kind="bullet",
                imported_at=dt.datetime.now(dt.UTC),
            )
        )


def _passes(n: int, prefix: str = "p") -> bytes:
    recs = [
        {
            "MotorVehicleID": f"{prefix}{i}",
            "DeviceID": "34020000001320000001",
            "PassTime": f"2024050108{i // 60 % 60:02d}{i % 60:02d}",
            "PlateNo": f"晋A{i % 997:05d}",
            "VehicleClass": "K33",
            "VehicleColor": "2",
            "LaneNo": i % 3,
        }
        for i in range(n)
    ]
    return envelope(recs)


def _indexes(db: Database) -> list[tuple[str, str]]:
    with db.engine.connect() as c:
        q = "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='sightings' ORDER BY name"
        return [(r[0], r[1]) for r in c.execute(sa.text(q))]


def _count(db: Database) -> int:
    with db.engine.connect() as c:
        return int(c.execute(sa.text("SELECT count(*) FROM sightings")).scalar_one())


def test_bulk_load_rebuilds_the_same_indexes_and_stores_the_same_rows(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _camera(db)
    before = _indexes(db)
    monkeypatch.setattr(passes_store, "DEFER_MIN", 50)
    res = passes_store.ingest(db, parse_json(_passes(200), source="a.json"))
    assert (res.added, res.already, res.first_id, res.last_id) == (200, 0, 1, 200)
    assert _indexes(db) == before
    again = passes_store.ingest(db, parse_json(_passes(200), source="a.json"))  # 200 < stored: incremental
    assert (again.added, again.already) == (0, 200)
    with db.engine.connect() as c:
        rows = c.execute(sa.text("SELECT external_id, first_seen, last_seen, plate_text, lane FROM sightings")).all()
        assert c.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert rows[0] == ("p0", "2024-05-01 00:00:00.000000", "2024-05-01 00:00:00.000000", "晋A00000", 0)


def test_a_failed_bulk_load_leaves_rows_and_indexes_as_they_were(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _camera(db)
    passes_store.ingest(db, parse_json(_passes(10, "old"), source="old.json"))
    before = _indexes(db)
    monkeypatch.setattr(passes_store, "DEFER_MIN", 5)
    # a device that maps to a camera the registry does not hold: the foreign key fails mid-load
    devices = {"34020000001320000001": "kk-gone"}
    with pytest.raises(StorageError, match=r"new.json: storing its passes failed .*FOREIGN KEY.*nothing of this"):
        passes_store.ingest(db, parse_json(_passes(100), source="new.json"), devices=devices)
    assert _count(db) == 10
    assert _indexes(db) == before
    assert [a.action for a in db.audit_log()].count("passes-import") == 1


def _grams(db: Database) -> tuple[list[tuple[str, str]], list[tuple[str, int]], int | None]:
    with db.engine.connect() as c:
        grams = [(r[0], r[1]) for r in c.execute(sa.text("SELECT gram, plate FROM plate_grams ORDER BY gram, plate"))]
        counts = [(r[0], r[1]) for r in c.execute(sa.text("SELECT gram, n FROM plate_gram_counts ORDER BY gram"))]
        mark = c.execute(sa.text("SELECT last_sighting_id FROM plate_index_state")).scalar()
    return grams, counts, mark


@pytest.mark.parametrize("defer_min", [passes_store.DEFER_MIN, 50])
def test_an_import_indexes_its_plates_as_refresh_would(
    db: Database, defer_min: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also with the plates' entries computed in a thread during the load (a batch of DEFER_MIN or more)."""
    from xueliang.investigate.plate_index import refresh

    monkeypatch.setattr(passes_store, "DEFER_MIN", defer_min)
    _camera(db)
    passes_store.ingest(db, parse_json(_passes(300), source="a.json"))  # 300 passes, 297 plates (i % 997)
    passes_store.ingest(db, parse_json(_passes(60, "q"), source="b.json"))  # 60 more, plates known
    ours = _grams(db)
    assert ours[2] == 360 and len([g for g, _ in ours[0] if g == ""]) == 300
    assert refresh(db) == 0  # nothing left for refresh to do
    # the same sightings indexed by refresh from scratch give the same tables
    with db.engine.begin() as c:
        for table in ("plate_grams", "plate_gram_counts", "plate_index_state"):
            c.execute(sa.text(f"DELETE FROM {table}"))
    assert refresh(db) == 300
    assert _grams(db) == ours


def test_an_import_leaves_a_lagging_plate_index_to_refresh(db: Database) -> None:
    from xueliang.investigate.plate_index import refresh

    _camera(db)
    passes_store.ingest(db, parse_json(_passes(20), source="a.json"))
    with db.engine.begin() as c:  # as if sightings had been added behind the index's back
        c.execute(sa.text("UPDATE plate_index_state SET last_sighting_id = 5"))
    passes_store.ingest(db, parse_json(_passes(30, "z"), source="b.json"))
    assert _grams(db)[2] == 5  # not moved past sightings it has not indexed
    assert refresh(db) == 10 and _grams(db)[2] == 50  # plates 20-29 are new


def test_a_failed_load_leaves_the_plate_index_as_it_was(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _camera(db)
    passes_store.ingest(db, parse_json(_passes(10, "old"), source="old.json"))
    before = _grams(db)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error (injected after the rows)")

    monkeypatch.setattr(passes_store, "refresh_with", boom)
    with pytest.raises(StorageError, match=r"new.json: storing its passes failed .*injected.*nothing of this"):
        passes_store.ingest(db, parse_json(_passes(50), source="new.json"))
    assert _count(db) == 10 and _grams(db) == before


def test_several_files_import_as_one_by_one(db: Database, tmp_path: Path) -> None:
    _camera(db)
    files = []
    for k, n in enumerate((40, 25, 60)):
        files.append(tmp_path / f"f{k}.json")
        files[-1].write_bytes(_passes(n, f"f{k}-"))
    results = list(passes_store.import_files(db, [*files, files[0]]))  # the last one again: nothing new
    assert [(r.source, r.added, r.already) for r in results] == [
        (str(files[0]), 40, 0),
        (str(files[1]), 25, 0),
        (str(files[2]), 60, 0),
        (str(files[0]), 0, 40),
    ]
    assert [(r.first_id, r.last_id) for r in results[:3]] == [(1, 40), (41, 65), (66, 125)]
    # a file the reader refuses stops the run at its turn: those before it are stored, those after not read
    bad = tmp_path / "bad.json"
    bad.write_text('{"MotorVehicleListObject": []}')
    more = tmp_path / "more.json"
    more.write_bytes(_passes(5, "more-"))
    done = []
    with pytest.raises(InputError, match=r"bad.json: expected \{\"MotorVehicleListObject\""):
        for r in passes_store.import_files(db, [files[1], bad, more]):
            done.append(r.added)
    assert done == [0] and _count(db) == 125


def _any_indexes(db: Database) -> list[tuple[str, str]]:
    if db.engine.dialect.name == "sqlite":
        return _indexes(db)
    with db.engine.connect() as c:
        q = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sightings' ORDER BY indexname"
        return [(r[0], r[1]) for r in c.execute(sa.text(q))]


@pytest.mark.postgresql
def test_bulk_load_on_either_database_keeps_indexes_and_rolls_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _camera(db)
    before = _any_indexes(db)
    assert len(before) >= 8
    monkeypatch.setattr(passes_store, "DEFER_MIN", 50)
    res = passes_store.ingest(db, parse_json(_passes(120), source="a.json"))  # into an empty table: deferred
    assert (res.added, res.first_id, res.last_id) == (120, 1, 120)
    assert _any_indexes(db) == before
    # a failing bulk load (its device maps to a camera the registry does not hold) changes nothing
    with pytest.raises(StorageError, match=r"b.json: storing its passes failed .*nothing of this"):
        passes_store.ingest(db, parse_json(_passes(300, "b"), source="b.json"), devices={"34020000001320000001": "x"})
    assert _count(db) == 120 and _any_indexes(db) == before
    res = passes_store.ingest(db, parse_json(_passes(300, "c"), source="c.json"))  # 300 >= 120 stored: deferred
    assert (res.added, res.already) == (300, 0) and _any_indexes(db) == before
    with db.engine.connect() as c:
        q = "SELECT external_id FROM sightings WHERE plate_text = '晋A00007'"
        assert sorted(r[0] for r in c.execute(sa.text(q))) == ["c7", "p7"]  # through the rebuilt plate index
