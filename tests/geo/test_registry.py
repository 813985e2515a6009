from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.registry import import_camera_file, load_cameras
from xueliang.errors import SchemaError
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)


def test_import_is_all_or_nothing_and_reimport_updates(tmp_path: Path, db: Database) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id,lon,lat,heading\nA,113,28,10\nB,113.1,28,\n", encoding="utf-8")
    r = import_camera_file(db, good)
    assert (r.added, r.updated, r.unknown_direction) == (2, 0, 1)
    before = [(c.id, c.heading_deg) for c in load_cameras(db)]

    bad = tmp_path / "bad.csv"  # first row would update A, second is broken: nothing may change
    bad.write_text("id,lon,lat,heading\nA,113,28,99\nC,113,28,400\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="line 3: 'heading'"):
        import_camera_file(db, bad)
    assert [(c.id, c.heading_deg) for c in load_cameras(db)] == before

    good.write_text("id,lon,lat,heading\nA,113,28,20\n", encoding="utf-8")
    r = import_camera_file(db, good)
    assert (r.added, r.updated) == (0, 1)
    assert {c.id: c.heading_deg for c in load_cameras(db)} == {"A": 20.0, "B": None}


def test_schema_is_migrated_with_alembic(db: Database) -> None:
    names = set(sa.inspect(db.engine).get_table_names())
    assert {"cameras", "audit_log", "alembic_version"} <= names
    with db.engine.connect() as c:
        heads = {r[0] for r in c.execute(sa.text("select version_num from alembic_version"))}
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from xueliang.storage.database import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    applied = {r.revision for r in script.iterate_revisions(tuple(heads), "base")}
    assert applied == {r.revision for r in script.walk_revisions()}  # every branch is at its head
    assert "core_0001" in applied


def test_audit_log_appends(db: Database) -> None:
    db.audit(actor="li", action="search", query={"colour": "white"}, result_count=3)
    db.audit(actor="wang", action="export", query={"case": "X"}, result_count=1)
    rows = db.audit_log()
    assert [(r.actor, r.action, r.result_count) for r in rows] == [("wang", "export", 1), ("li", "search", 3)]
    assert rows[1].at.tzinfo is not None or db.engine.dialect.name == "sqlite"


def test_overlong_text_is_rejected_on_every_database(tmp_path: Path, db: Database) -> None:
    """PostgreSQL enforces VARCHAR lengths (SQLite does not): the file is checked against them first, so both
    refuse the same file with the same message instead of a database error on one and silent storage on the other."""
    f = tmp_path / "long.csv"
    f.write_text("id,lon,lat,name\nA,113,28,ok\nB,113,28," + "名" * 201 + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"long.csv: line 3: 'name': expected at most 200 characters, got 201"):
        import_camera_file(db, f)
    f.write_text("id,lon,lat\n" + "C" * 65 + ",113,28\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"line 2: 'id': expected at most 64 characters, got 65"):
        import_camera_file(db, f)
    assert load_cameras(db) == []


def test_text_limits_are_the_registry_columns() -> None:
    from geo.cameras import MAX_LENGTH
    from xueliang.storage import CameraRow

    assert {k: CameraRow.__table__.c[k].type.length for k in MAX_LENGTH} == MAX_LENGTH


def test_cameras_come_back_in_code_point_order_on_every_database(tmp_path: Path, db: Database) -> None:
    """Deterministic output: the same order on SQLite and on a PostgreSQL database with a linguistic collation
    (zh-Hans-CN sorts 晋 jin before 京 jing, and b before B)."""
    ids = ["京A-01", "晋M-01", "b-1", "B-1", "a_2", "a-10", "a-2"]
    f = tmp_path / "c.csv"
    f.write_text("id,lon,lat\n" + "".join(f"{i},113,28\n" for i in ids), encoding="utf-8")
    import_camera_file(db, f)
    assert [c.id for c in load_cameras(db)] == sorted(ids)


def test_skip_bad_rows_imports_the_good_rows_and_lists_the_bad(tmp_path: Path, db: Database) -> None:
    f = tmp_path / "mixed.csv"
    f.write_text(
        "id,lon,lat,heading\nA,113,28,10\nB,113,28,400\nC,113,200,5\nA,113.1,28,0\nD,113,28,\n", encoding="utf-8"
    )
    with pytest.raises(SchemaError, match="line 3: 'heading'"):
        import_camera_file(db, f)  # the default stays all or nothing
    assert load_cameras(db) == []
    r = import_camera_file(db, f, skip_bad_rows=True)
    assert (r.added, r.updated) == (2, 0)
    assert [c.id for c in load_cameras(db)] == ["A", "D"]
    assert r.read is not None
    assert [(n.record, n.field, n.rejected) for n in r.read.notes] == [
        ("line 3", "heading", True),
        ("line 4", "lat", True),
        ("line 5", "id", True),
    ]
    assert "duplicate camera id 'A' (first at line 2)" in r.read.notes[2].action


def test_skip_bad_rows_on_geojson(tmp_path: Path, db: Database) -> None:
    import json

    feats = [
        {"type": "Feature", "properties": {"id": "A"}, "geometry": {"type": "Point", "coordinates": [113, 28]}},
        {"type": "Feature", "properties": {"id": "B"}, "geometry": {"type": "LineString", "coordinates": []}},
        "not a feature",
    ]
    f = tmp_path / "c.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    r = import_camera_file(db, f, skip_bad_rows=True)
    assert r.added == 1 and r.read is not None
    assert [(n.record, n.field) for n in r.read.notes] == [("feature 1", "geometry"), ("feature 2", "")]


def test_cli_skip_bad_rows_writes_the_rejection_report(tmp_path: Path, db_url: str) -> None:
    import csv

    from click.testing import CliRunner

    from xueliang.cli import cli

    f = tmp_path / "mixed.csv"
    f.write_text("id,lon,lat,heading\nA,113,28,10\nB,113,28,400\n", encoding="utf-8")
    runner = CliRunner()
    strict = runner.invoke(cli, ["cameras", "import", str(f), "--db", db_url, "--report", str(tmp_path)])
    assert strict.exit_code == 2 and "line 3: 'heading'" in strict.output
    res = runner.invoke(
        cli, ["cameras", "import", str(f), "--db", db_url, "--skip-bad-rows", "--report", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert "1 added" in res.output and "1 records left out" in res.output
    rows = list(csv.DictReader((tmp_path / "import_report.csv").read_text(encoding="utf-8").splitlines()))
    assert [(r["record"], r["field"], r["outcome"]) for r in rows] == [("line 3", "heading", "rejected")]
