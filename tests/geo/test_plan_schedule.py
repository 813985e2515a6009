"""`xueliang plan --schedule`: one row per proposed camera, totals per phase equal to the plan's costs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from xueliang.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_plan_schedule_rows_and_phase_totals(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    args = ["plan", "--osm", str(ROOT / "sample_media/town.osm"), "--cameras", str(ROOT / "sample_media/cameras.csv")]
    args += ["--phases", "20000,20000", "--out", str(out), "--schedule", "--codec", "h264", "--retention-days", "7"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "rule: every approach seen" in r.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    sites = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))["features"]
    with (out / "schedule.csv").open(encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    blank = lines.index([])
    rows = lines[1:blank]
    assert len(rows) == len(sites) == plan["cameras_added"]
    head = lines[0]
    assert {r[head.index("codec")] for r in rows} == {"h264"} and {r[head.index("retention_days")] for r in rows} == {
        "7"
    }
    totals = {t[0]: t for t in lines[blank + 2 :]}
    for k, phase in enumerate(plan["phases"], start=1):
        assert float(totals[str(k)][2]) == phase["cost"]
    assert float(totals["all"][2]) == plan["total_cost"]
    assert plan["intersection_rule_name"] == "every_approach_seen"
    assert (out / "schedule.xlsx").stat().st_size > 0
