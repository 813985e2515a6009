"""Every append-only table refuses UPDATE, DELETE and replacement by INSERT, on SQLite and PostgreSQL.

SQLite's ``INSERT OR REPLACE`` / ``REPLACE INTO`` delete the old row without firing DELETE triggers;
PostgreSQL's ``INSERT ... ON CONFLICT DO UPDATE`` is the same attempt there.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from xueliang.storage import Database

pytestmark = pytest.mark.postgresql

AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
# table -> (columns of a first row, a column to rewrite)
TABLES: dict[str, tuple[dict[str, object], str]] = {
    "audit_log": ({"at": AT, "actor": "li", "action": "search", "query": "{}", "result_count": 3}, "actor"),
    "ledger_history": (
        {
            "case_id": "C1",
            "field": "status",
            "old_value": "open",
            "new_value": "solved",
            "changed_at": AT,
            "source": "x.csv",
            "source_sha256": "ab" * 32,
            "source_row": 2,
        },
        "new_value",
    ),
    "search_case_queries": (
        {
            "case_id": "K1",
            "at": AT,
            "actor": "li",
            "kind": "search",
            "query": "{}",
            "result_count": 1,
            "sighting_ids": "[]",
        },
        "actor",
    ),
    "search_reviews": (
        {"case_id": "K1", "sighting_id": 1, "decision": "keep", "reason": "fits", "actor": "li", "at": AT},
        "reason",
    ),
    "web_marks": ({"sighting_id": 1, "mark": "keep", "reason": "fits", "actor": "li", "at": AT}, "reason"),
}


def _setup(db: Database) -> None:
    """A case and a sighting for the foreign keys of the search logs."""
    with db.engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO cameras (id, lon, lat, channels, kind, imported_at) VALUES ('C', 0, 0, 1, 'unknown', :at)"
            ),
            {"at": AT},
        )
        c.execute(
            sa.text(
                "INSERT INTO videos (sha256, path, size_bytes, camera_id, start_time, end_time, fps, frame_count, "
                "duration_s, width, height, detector, frames_decoded, frames_detected, processing_s, indexed_at) "
                "VALUES (:h, 'v.mp4', 1, 'C', :at, :at, 25, 1, 1, 64, 64, 't', 1, 1, 1, :at)"
            ),
            {"h": "cd" * 32, "at": AT},
        )
        c.execute(
            sa.text(
                "INSERT INTO sightings (id, video_id, camera_id, track_id, first_seen, last_seen, detector_class, "
                "detector_confidence, colour, colour_confidence, vehicle_type, vehicle_type_confidence, plate_state, "
                "plate_state_confidence, direction, best_frame) VALUES (1, (SELECT id FROM videos), 'C', 1, :at, :at, "
                "'car', 1, 'red', 1, 'car', 1, 'none', 1, 'east', 0)"
            ),
            {"at": AT},
        )
        c.execute(
            sa.text("INSERT INTO search_cases (case_id, created_at, created_by) VALUES ('K1', :at, 'li')"), {"at": AT}
        )


def _insert(table: str, row: dict[str, object], *, prefix: str = "INSERT", suffix: str = "") -> sa.TextClause:
    cols = ", ".join(row)
    vals = ", ".join(f":{k}" for k in row)
    return sa.text(f"{prefix} INTO {table} ({cols}) VALUES ({vals}){suffix}")


@pytest.mark.parametrize("table", sorted(TABLES))
def test_append_only_tables_refuse_rewrites(db: Database, table: str) -> None:
    _setup(db)
    row, col = TABLES[table]
    with db.engine.begin() as c:
        c.execute(_insert(table, row), row)
        first = c.execute(sa.text(f"SELECT id FROM {table}")).scalar_one()
    forged = {"id": first, **row, col: "forged"}
    attempts = [
        sa.text(f"UPDATE {table} SET {col} = 'forged' WHERE id = :id"),
        sa.text(f"DELETE FROM {table} WHERE id = :id"),
    ]
    if db.engine.dialect.name == "sqlite":
        attempts += [
            _insert(table, forged, prefix="INSERT OR REPLACE"),
            _insert(table, forged, prefix="REPLACE"),
            _insert(table, forged, suffix=f" ON CONFLICT (id) DO UPDATE SET {col} = 'forged'"),
        ]
    else:
        attempts += [
            _insert(table, forged, suffix=f" ON CONFLICT (id) DO UPDATE SET {col} = 'forged'"),
            sa.text(f"TRUNCATE {table}"),
        ]
    for stmt in attempts:
        with pytest.raises(DBAPIError, match=f"{table} is append-only"), db.engine.begin() as c:
            c.execute(stmt, {"id": first, **forged})
    with db.engine.connect() as c:
        rows = c.execute(sa.text(f"SELECT id, {col} FROM {table}")).all()
    assert [(r[0], r[1]) for r in rows] == [(first, row[col])]
    # appending still works
    with db.engine.begin() as c:
        c.execute(_insert(table, {**row, col: "second"}), {**row, col: "second"})
        assert c.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 2


def test_web_marks_are_folded_into_the_review_log(db: Database) -> None:
    """Browser marks land in the per-case review log that ``xueliang review --case`` reads."""
    from xueliang.investigate.review import review_log
    from xueliang.web.sightings import WEB_CASE, add_mark, get_sighting

    _setup(db)
    add_mark(db, 1, "eliminate", "wrong colour", "li")
    add_mark(db, 1, "keep", "fits the witness", "wang", case_id="K1")
    assert [(e.case_id, e.decision, e.actor) for e in review_log(db, WEB_CASE)] == [(WEB_CASE, "eliminate", "li")]
    assert [(e.decision, e.reason) for e in review_log(db, "K1")] == [("keep", "fits the witness")]
    mark = get_sighting(db, 1)[0].mark
    assert mark is not None and (mark.mark, mark.case_id, mark.actor) == ("keep", "K1", "wang")
    assert mark.at.tzinfo is not None and mark.at <= dt.datetime.now(dt.UTC)
