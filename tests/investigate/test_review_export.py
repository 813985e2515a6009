"""Review log, evidence export (clips cut from a real file, hashes re-verified), and the CLI shells."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import cv2
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy import insert

from vision.synth import SynthWorld, plant, setup_world
from vision.tables import SightingPointRow, VideoRow
from xueliang.cli import cli
from xueliang.errors import InputError, NotFoundError
from xueliang.investigate.export import ExportError, export_case
from xueliang.investigate.review import kept, review, review_log
from xueliang.investigate.search import SightingQuery, search
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_media" / "synthetic_street.mp4"
START = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def clip_world(db: Database, tmp_path: Path) -> tuple[SynthWorld, Path, list[int]]:
    """Two cameras; a real 6 s clip (copied to tmp) indexed for the first; three planted sightings on it."""
    src = tmp_path / "src" / "street.mp4"
    src.parent.mkdir()
    shutil.copyfile(SAMPLE, src)
    w = setup_world(db, cameras=2, dim=16)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    with db.engine.begin() as c:
        c.execute(
            sa.update(VideoRow)
            .where(VideoRow.camera_id == w.camera_ids[0])
            .values(sha256=sha, path=str(src), start_time=START, end_time=START + dt.timedelta(seconds=6), fps=15.0)
        )
    ids = plant(db, w, at=[(w.camera_ids[0], START + dt.timedelta(seconds=s)) for s in (0.5, 1.0, 2.0)], seed=3)
    with db.engine.begin() as c:
        c.execute(
            insert(SightingPointRow),
            [
                {"sighting_id": i, "frame": 0, "at": START, "x1": 10, "y1": 20, "x2": 110, "y2": 90, "confidence": 0.9}
                for i in ids
            ],
        )
    return w, src, ids


def test_review_log_keeps_history_and_latest_decision(
    db: Database, clip_world: tuple[SynthWorld, Path, list[int]]
) -> None:
    _, _, ids = clip_world
    search(db, SightingQuery(limit=5), actor="li", case_id="CASE-7")
    review(db, case_id="CASE-7", sighting_id=ids[0], decision="keep", reason="matches scene 1", actor="li")
    review(db, case_id="CASE-7", sighting_id=ids[1], decision="keep", reason="maybe", actor="li")
    review(db, case_id="CASE-7", sighting_id=ids[1], decision="eliminate", reason="roof rack differs", actor="wang")
    review(db, case_id="CASE-7", sighting_id=ids[2], decision="eliminate", reason="wrong direction", actor="li")
    log = review_log(db, "CASE-7")
    assert [(e.sighting_id, e.decision) for e in log] == [
        (ids[0], "keep"),
        (ids[1], "keep"),
        (ids[1], "eliminate"),
        (ids[2], "eliminate"),
    ]
    assert kept(log) == [ids[0]]
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as c:
        c.execute(sa.text("update search_reviews set decision='keep'"))


def test_review_bad_input(db: Database, clip_world: tuple[SynthWorld, Path, list[int]]) -> None:
    _, _, ids = clip_world
    with pytest.raises(NotFoundError, match="unknown 'NOPE'"):
        review(db, case_id="NOPE", sighting_id=ids[0], decision="keep", reason="x")
    search(db, SightingQuery(limit=1), case_id="C")
    with pytest.raises(InputError, match="expected a reason"):
        review(db, case_id="C", sighting_id=ids[0], decision="eliminate", reason="  ")
    with pytest.raises(NotFoundError, match="unknown 424242"):
        review(db, case_id="C", sighting_id=424242, decision="keep", reason="x")


def test_review_accepts_a_ledger(db: Database, clip_world: tuple[SynthWorld, Path, list[int]]) -> None:
    _, _, ids = clip_world
    with db.engine.begin() as c:
        c.execute(
            sa.text(
                "insert into ledger_cases (case_id, case_type, occurred_start, status, video_obtained, "
                "video_contribution, source, updated_at) values ('L-1', 'theft', '2024-05-01 00:00:00', 'open', true, "
                "'unknown', 'test', '2024-05-01 00:00:00')"
            )
        )
    review(db, case_id="L-1", sighting_id=ids[0], decision="keep", reason="seen")
    with db.engine.connect() as c:
        assert c.execute(sa.text("select ledger from search_cases where case_id='L-1'")).scalar_one() == "L-1"


def _keep_two(db: Database, ids: list[int]) -> None:
    search(db, SightingQuery(colours=("white",), vehicle_types=("suv",)), actor="li", case_id="EX-1")
    review(db, case_id="EX-1", sighting_id=ids[0], decision="keep", reason="plate covered, same roof box", actor="li")
    review(db, case_id="EX-1", sighting_id=ids[2], decision="keep", reason="same dent", actor="li")
    review(db, case_id="EX-1", sighting_id=ids[1], decision="eliminate", reason="different wheels", actor="li")


def test_export_writes_clips_records_logs_and_verified_hashes(
    db: Database, clip_world: tuple[SynthWorld, Path, list[int]], tmp_path: Path
) -> None:
    _, src, ids = clip_world
    _keep_two(db, ids)
    out = tmp_path / "evidence"
    s = export_case(db, "EX-1", out, actor="li", pad_s=1.0)
    assert s.sightings == (ids[0], ids[2])
    for i in (ids[0], ids[2]):
        cap = cv2.VideoCapture(str(out / "clips" / f"sighting_{i}.mp4"))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
        assert 15 <= n <= 11 * 15  # at least the padding, at most first-1 s .. last+1 s
        assert (out / "images" / f"sighting_{i}_thumb.jpg").stat().st_size > 0
    assert not (out / "clips" / f"sighting_{ids[1]}.mp4").exists()
    recs = json.loads((out / "records.json").read_text(encoding="utf-8"))["MotorVehicleListObject"][
        "MotorVehicleObject"
    ]
    assert len(recs) == 2
    r = recs[0]
    assert r["DeviceID"] == "cam-0000" and r["ShotTime"] == "20240501080000"
    assert (r["HasPlate"], r["IsCovered"], r["VehicleColor"], r["VehicleClass"]) == ("1", "1", "2", "K32")
    assert (r["LeftTopX"], r["LeftTopY"], r["RightBtmX"], r["RightBtmY"]) == (10, 20, 110, 90)
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    want = hashlib.sha256(src.read_bytes()).hexdigest()
    assert man["sources"][0]["sha256_at_export"] == want and man["sources"][0]["verified"]
    assert man["queries"][0]["query"]["colours"] == ["white"]
    assert man["eliminated_sightings"] == [ids[1]] and "numpy" in man["software"]
    log = json.loads((out / "review_log.json").read_text(encoding="utf-8"))
    assert [e["decision"] for e in log] == ["keep", "keep", "eliminate"]
    sums = dict(line.split("  ")[::-1] for line in (out / "SHA256SUMS").read_text().splitlines())
    assert sums["records.json"] == hashlib.sha256((out / "records.json").read_bytes()).hexdigest()
    assert db.audit_log()[0].action == "export" and db.audit_log()[0].result_count == 2


@pytest.mark.parametrize("damage", ["change", "vanish"])
def test_export_fails_loudly_and_writes_nothing_when_a_source_changed(
    db: Database, clip_world: tuple[SynthWorld, Path, list[int]], tmp_path: Path, damage: str
) -> None:
    _, src, ids = clip_world
    _keep_two(db, ids)
    if damage == "change":
        with open(src, "r+b") as f:
            f.seek(5000)
            f.write(b"\x00\x01tampered")
    else:
        src.unlink()
    out = tmp_path / "evidence"
    message = "changed since indexing" if damage == "change" else "vanished"
    with pytest.raises(ExportError, match=f"street.mp4: {message}"):
        export_case(db, "EX-1", out)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".evidence")]
    assert db.audit_log()[0].action == "export-refused"


def test_export_refuses_non_empty_out_and_empty_case(
    db: Database, clip_world: tuple[SynthWorld, Path, list[int]], tmp_path: Path
) -> None:
    _, _, ids = clip_world
    search(db, SightingQuery(limit=1), case_id="E0")
    with pytest.raises(ExportError, match="no sighting is marked keep"):
        export_case(db, "E0", tmp_path / "x")
    _keep_two(db, ids)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "old.txt").write_text("x")
    with pytest.raises(ExportError, match="expected a new or empty folder"):
        export_case(db, "EX-1", busy)
    with pytest.raises(NotFoundError, match="unknown 'ZZ'"):
        export_case(db, "ZZ", tmp_path / "y")


def test_cli_search_review_export_round_trip(
    db: Database, db_url: str, clip_world: tuple[SynthWorld, Path, list[int]], tmp_path: Path
) -> None:
    _, _, ids = clip_world
    run = CliRunner().invoke
    r = run(
        cli,
        [
            "search",
            "--db",
            db_url,
            "--colour",
            "white",
            "--type",
            "suv",
            "--plate-state",
            "covered",
            "--from",
            "2024-05-01T07:00:00Z",
            "--to",
            "2024-05-01T09:00:00Z",
            "--json",
            "--case",
            "CLI-1",
            "--actor",
            "zhao",
        ],
    )
    assert r.exit_code == 0, r.output
    found = {h["sighting_id"] for h in json.loads(r.output)["hits"]}
    assert set(ids) <= found
    r = run(cli, ["review", "--db", db_url, "--case", "CLI-1", "--sighting", str(ids[0]), "--keep", "--reason", "ok"])
    assert r.exit_code == 0, r.output
    r = run(cli, ["export", "--db", db_url, "--case", "CLI-1", "--out", str(tmp_path / "ev"), "--actor", "zhao"])
    assert r.exit_code == 0, r.output
    assert "1 sightings from 1 verified sources" in r.output
    actions = [(a.actor, a.action) for a in db.audit_log()]
    assert ("zhao", "export") in actions and ("zhao", "search") in actions
    r = run(cli, ["trajectory", "--db", db_url, "--sighting", str(ids[0]), "--geojson", str(tmp_path / "t.geojson")])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "t.geojson").read_text())["type"] == "FeatureCollection"
    r = run(cli, ["similar", "--db", db_url, "--sighting", str(ids[0]), "-k", "2", "--json"])
    assert r.exit_code == 0 and {x["sighting_id"] for x in json.loads(r.output)["results"]} == set(ids[1:])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--near", "112.5,37.8,0"], "--near: expected a radius > 0 metres, got 0"),
        (["search", "--near", "112.5,37.8,-10"], "got -10"),
        (["search", "--from", "2024-05-02T00:00:00Z", "--to", "2024-05-01T00:00:00Z"], "end after the start"),
        (["search", "--from", "yesterday", "--to", "2024-05-01"], "--from: expected ISO 8601"),
        (["search", "--plate", "晋M[1"], "--plate: expected plate characters"),
        (["search", "--camera", "cam-nope"], "unknown 'cam-nope'"),
        (["review", "--case", "NOPE", "--sighting", "1", "--keep", "--reason", "x"], "unknown 'NOPE'"),
        (["export", "--case", "NOPE", "--out", "ignored"], "unknown 'NOPE'"),
        (["similar"], "exactly one of a sighting id or an image"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(db_url: str, args: list[str], message: str) -> None:
    r = CliRunner().invoke(cli, [*args, "--db", db_url])
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output


def test_search_migration_matches_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import xueliang.investigate.tables  # noqa: F401  (registers the tables on Base.metadata)
    from xueliang.storage.base import Base

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if "search_" in repr(d)]
    assert ours == []
