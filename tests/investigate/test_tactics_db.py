"""The tactics over the project database, on SQLite and on PostgreSQL (a ``postgresql`` module: each test
runs on both when $XUELIANG_TEST_PG is set): DuckDB reads the passes each tactic needs from the database
and answers exactly as over the Parquet export of the same rows; every run is audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from xueliang.investigate.passes import parse_json
from xueliang.investigate.passes_generate import generate_city, register_checkpoints, to_gat1400
from xueliang.investigate.passes_store import ingest
from xueliang.investigate.tactics import run
from xueliang.investigate.tactics.columnar import export_parquet
from xueliang.investigate.tactics.engines import DuckEngine
from xueliang.investigate.tactics.planted import found, planted_answers, planted_calls, precision_recall, window
from xueliang.investigate.tactics.service import execute, reads_for
from xueliang.storage import Database
from xueliang.storage.tables import AuditRow

pytestmark = pytest.mark.postgresql


def test_every_tactic_on_the_database_answers_as_on_parquet(db: Database, tmp_path: Path) -> None:
    city = generate_city(checkpoints=81, vehicles=80, days=4, seed=4)
    register_checkpoints(db, city)
    body = json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": to_gat1400(city)}}, ensure_ascii=False)
    ingest(db, parse_json(body.encode(), source="city.json"))
    export_parquet(db, tmp_path / "pq")
    pq = DuckEngine(parquet=tmp_path / "pq", threads=1)
    want = planted_answers(city.truths)
    t = city.truths
    (target, _), *_ = t.companions.items()
    (foot, _), *_ = t.footholds.items()
    scenes = [run.SceneCameras((s.camera_id,), window((s.start, s.end))) for s in t.scenes]
    pushed = {  # what each planted call needs of the database (the CLI's reads)
        "companions": reads_for("companions", run.Window(), plate=target),
        "first-entry": reads_for("first-entry", window(t.first_entry_window)),
        "footholds": reads_for("footholds", run.Window(), plate=foot),
        "frequent": reads_for("frequent", window(t.frequent_window)),
        "area-collision": reads_for("area-collision", run.Window(), scenes=scenes),
    }
    try:
        for name, call in planted_calls(t).items():
            on_db = execute(db, name, call, reads=pushed.get(name), actor="analyst")
            on_pq = run.with_passes(pq, call(pq))
            assert on_db.to_json() == on_pq.to_json(), name
            p, r = precision_recall(found(name, on_db), want[name])
            assert p >= 0.95 and r >= 0.95, (name, p, r)
    finally:
        pq.close()
    with db.sessions() as s:
        audited = s.execute(select(AuditRow.action, AuditRow.result_count).where(AuditRow.actor == "analyst")).all()
    assert sorted(a for a, _ in audited) == sorted(f"tactic-{name}" for name in want)
    assert all(n and n > 0 for _, n in audited)  # the justifying passes counted
