"""Acknowledging a watch alert from the CLI: once, audited; a second time or an unknown id is one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.investigate.test_pass_batch import _camera, _passes
from xueliang.cli import cli
from xueliang.investigate.passes import parse_json
from xueliang.investigate.passes_store import ingest
from xueliang.investigate.watch import add_rule, check_new
from xueliang.storage import Database


def test_ack_once_from_the_cli(db: Database, db_url: str, tmp_path: Path) -> None:
    _camera(db)
    add_rule(db, plate="晋A00001", exact=True, actor="lead")
    res = ingest(db, parse_json(_passes(5), source="a.json"))
    assert res.first_id is not None
    (alert,) = check_new(db, after_id=res.first_id - 1, actor="lead")
    run = CliRunner().invoke(cli, ["watch", "ack", str(alert.id), "--note", "seen", "--actor", "duty", "--db", db_url])
    assert run.exit_code == 0 and f"alert {alert.id} acknowledged by duty" in run.output
    again = CliRunner().invoke(cli, ["watch", "ack", str(alert.id), "--db", db_url])
    assert again.exit_code == 2 and "already acknowledged by duty" in again.output and "Traceback" not in again.output
    unknown = CliRunner().invoke(cli, ["watch", "ack", "999", "--db", db_url])
    assert unknown.exit_code == 2 and "unknown 999" in unknown.output
    shown = json.loads(CliRunner().invoke(cli, ["watch", "alerts", "--json", "--db", db_url]).output)
    assert shown[0]["acknowledged_by"] == "duty"
    assert [a.action for a in db.audit_log(100)].count("watch-ack") == 1
