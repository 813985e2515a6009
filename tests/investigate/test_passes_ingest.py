"""Passes into the database (checkpoint sightings), idempotent re-import, watch alerts, the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from vision.tables import SightingRow
from xueliang.cli import cli
from xueliang.investigate.passes import parse_json
from xueliang.investigate.passes_generate import generate_city, write_city
from xueliang.investigate.passes_store import ingest
from xueliang.investigate.watch import add_rule, alerts, check_new
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    write_city(generate_city(checkpoints=81, vehicles=60, days=3, seed=5), out)
    return out


def _cli(db_url: str, *args: str) -> str:
    r = CliRunner().invoke(cli, [*args, "--db", db_url])
    assert r.exit_code == 0, r.output
    return r.output


def _records(path: Path) -> list[dict[str, object]]:
    return json.loads(path.read_text())["MotorVehicleListObject"]["MotorVehicleObject"]  # type: ignore[no-any-return]


def test_import_is_idempotent_and_rejects_unknown_devices(db: Database, db_url: str, small_city: Path) -> None:
    _cli(db_url, "cameras", "import", str(small_city / "cameras.csv"))
    day = sorted(small_city.glob("passes-*.json"))[0]
    recs = _records(day)
    recs.append(dict(recs[0]) | {"MotorVehicleID": "stray-1", "DeviceID": "99999999999999999999"})
    recs.append({"MotorVehicleID": "bad-1", "DeviceID": recs[0]["DeviceID"], "PassTime": "yesterday"})
    data = json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": recs}}, ensure_ascii=False).encode()
    first = ingest(db, parse_json(data, source="day.json"))
    assert (first.added, first.already) == (len(recs) - 2, 0)
    assert [(r.record, r.field) for r in first.rejections] == [(len(recs) - 1, "DeviceID"), (len(recs), "PassTime")]
    again = ingest(db, parse_json(data, source="day.json"))
    assert (again.added, again.already) == (0, len(recs) - 2)
    with db.sessions() as s:
        rows = s.scalars(select(SightingRow).where(SightingRow.source == "checkpoint")).all()
        assert len(rows) == len(recs) - 2
        assert all(r.video_id is None and r.external_id and r.first_seen == r.last_seen for r in rows)
        assert {r.camera_id for r in rows} <= {f"kk-{i:04d}" for i in range(81)}
    log = [a for a in db.audit_log() if a.action == "passes-import"]
    assert [a.result_count for a in log] == [0, len(recs) - 2]


def test_cli_import_report_and_watch_alerts(db_url: str, small_city: Path, tmp_path: Path) -> None:
    _cli(db_url, "cameras", "import", str(small_city / "cameras.csv"))
    truths = json.loads((small_city / "truths.json").read_text())
    plate = truths["cloned_plates"][0]
    _cli(db_url, "watch", "add", "--plate", plate[:3] + "*", "--colour", "black", "--note", "stolen")
    files = sorted(str(p) for p in small_city.glob("passes-*.json"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": [{"MotorVehicleID": "x"}]}}))
    report = tmp_path / "rejected.csv"
    out = _cli(db_url, "passes", "import", *files, str(bad), "--report", str(report))
    assert "ALERT rule 1" in out and plate in out
    rows = list(csv.DictReader(report.read_text(encoding="utf-8").splitlines()))
    assert [(r["file"], r["MotorVehicleID"], r["field"]) for r in rows] == [(str(bad), "x", "DeviceID")]
    listed = json.loads(_cli(db_url, "watch", "alerts", "--json"))
    assert listed and all(a["plate"].startswith(plate[:3]) and a["colour"] == "black" for a in listed)
    # checking again raises nothing new; an index run or `watch check` over old sightings neither
    assert "0 new alert(s)" in _cli(db_url, "watch", "check")
    db_audit = _cli(db_url, "tactics", "cloned-plates", "--json", "--case", "CASE-1", "--actor", "inspector")
    result = json.loads(db_audit)
    assert plate in {r["key"] for r in result["results"]}
    assert {p["id"] for p in result["passes"]} == {i for r in result["results"] for i in r["pass_ids"]}


def test_watch_rule_checks(db: Database) -> None:
    with pytest.raises(Exception, match="expected a plate pattern or at least one of"):
        add_rule(db)
    with pytest.raises(Exception, match="expected visible, covered, absent, unknown, got hidden"):
        add_rule(db, plate_states=["hidden"])
    rule = add_rule(db, plate="晋A1234?", exact=True)
    assert rule.describe() == "plate 晋A1234? (exact)"
    assert check_new(db, after_id=0) == [] and alerts(db) == []


def test_migration_matches_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import xueliang.investigate.watch  # noqa: F401  (registers the tables)
    from xueliang.storage.base import Base

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [
        d
        for d in diff
        if any(k in repr(d) for k in ("watch_", "'source'", "external_id", "'lane'", "'brand'", "video_id"))
    ]
    assert ours == []


def test_cli_bad_input_is_one_line(db_url: str, tmp_path: Path) -> None:
    for args, message in [
        (["passes", "import", str(tmp_path / "none.json")], "cannot read"),
        (["passes", "import", "x.json", "--tz", "8"], "expected a UTC offset like +08:00"),
        (["tactics", "companions", "--plate", "晋A%"], "expected a whole plate"),
        (["tactics", "first-entry", "--entry", "nope", "--from", "2024-05-01", "--to", "2024-05-02"], "nope"),
        (["tactics", "nocturnal", "--night", "late"], "expected START-END hours"),
        (["watch", "remove", "7"], "unknown 7"),
    ]:
        r = CliRunner().invoke(cli, [*args, "--db", db_url])
        assert r.exit_code == 2, r.output
        assert message in r.output and "Traceback" not in r.output


def test_index_raises_alerts_for_new_video_sightings(db: Database, db_url: str, tmp_path: Path) -> None:
    from tests.vision.conftest import PLUGIN, SAMPLE, add_camera

    camera = add_camera(db)
    rule = add_rule(db, plate_states=["unknown"], note="any unread plate")
    args = ["index", str(SAMPLE), "--camera", camera, "--start", "2024-05-01T08:00:00Z"]
    out = _cli(db_url, *args, "--media", str(tmp_path / "m"), "--detector-plugin", PLUGIN, "--no-plates")
    found = alerts(db, rule_id=rule.id)
    assert len(found) == 4 and {a.source for a in found} == {"video"}
    assert out.count(f"ALERT rule {rule.id}") == 4
    assert len([a for a in db.audit_log() if a.action == "watch-alert"]) == 4
