"""The ``xueliang ledger`` commands through click's CliRunner: exit codes and messages."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from xueliang.cli import cli

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def ledger_csv(tmp_path: Path, runner: CliRunner) -> Path:
    out = tmp_path / "cases.csv"
    res = runner.invoke(cli, ["ledger", "generate", "--n", "800", "--seed", "3", "--bad", "7", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "807 rows (800 cases, 7 deliberately bad), seed 3" in res.output
    return out


def test_import_stats_and_reimport(runner: CliRunner, ledger_csv: Path, db_url: str, tmp_path: Path) -> None:
    report = tmp_path / "rejected.csv"
    res = runner.invoke(cli, ["ledger", "import", str(ledger_csv), "--db", db_url, "--report", str(report)])
    assert res.exit_code == 0, res.output
    # 7 bad rows; the duplicated id also rejects the original row it copies
    assert "807 rows read, 799 added, 0 updated, 0 unchanged, 8 rejected" in res.output
    assert "rejected: " in res.output and "expected one of none, corroborating" in res.output
    assert len(list(csv.DictReader(report.read_text(encoding="utf-8").splitlines(keepends=True)))) >= 8
    again = runner.invoke(cli, ["ledger", "import", str(ledger_csv), "--db", db_url, "--quiet"])
    assert again.exit_code == 0
    assert "0 added, 0 updated, 799 unchanged, 8 rejected; 0 history rows" in again.output
    assert "rejected: " not in again.output

    text = runner.invoke(cli, ["ledger", "stats", "--db", db_url, "--by", "type", "--claim", "0.8"])
    assert text.exit_code == 0, text.output
    assert "Case ledger: 799 cases" in text.output
    assert "video-supported, share of solved cases" in text.output and "solved cases" in text.output
    assert "Newcombe" in text.output and "By type" in text.output
    assert "Claim: video supported 80% of solved cases." in text.output
    assert "the claim is above the 95% interval" in text.output

    js = runner.invoke(cli, ["ledger", "stats", "--db", db_url, "--json", "--from", "2023-01-01", "--to", "2023-12-31"])
    assert js.exit_code == 0, js.output
    data = json.loads(js.output)
    measures = {m["key"]: m for m in data["measures"]}
    solved = measures["solved_of_all"]["proportion"]["numerator"]
    assert measures["video_supported_of_solved"]["proportion"]["denominator"] == solved
    assert measures["obtained_of_all"]["proportion"]["denominator"] == data["cases"] > 0
    assert data["period_start"] == "2023-01-01" and data["trend"]["baseline_years"] == [2020, 2021, 2022]
    p = measures["useful_of_all"]["proportion"]
    assert p["low"] < p["value"] < p["high"]


def test_import_mapping_and_errors(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text("编号,case_type\nA1,theft\n", encoding="utf-8")
    res = runner.invoke(cli, ["ledger", "import", str(f), "--db", db_url, "--map", "case_id=编号"])
    assert res.exit_code == 2
    assert "error: " in res.output and "missing column(s) occurred_start" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(cli, ["ledger", "import", str(f), "--db", db_url, "--map", "caseid=编号"])
    assert res.exit_code == 2 and "--map: caseid: unknown key" in res.output
    res = runner.invoke(cli, ["ledger", "import", str(tmp_path / "absent.csv"), "--db", db_url])
    assert res.exit_code == 2 and "absent.csv: cannot read" in res.output


def test_stats_errors(runner: CliRunner, db_url: str) -> None:
    res = runner.invoke(cli, ["ledger", "stats", "--db", db_url])
    assert res.exit_code == 2 and "no cases in" in res.output
    res = runner.invoke(cli, ["ledger", "stats", "--db", db_url, "--from", "2024-13-01"])
    assert res.exit_code == 2 and "--from: expected a date like 2024-01-31, got '2024-13-01'" in res.output
    res = runner.invoke(cli, ["ledger", "stats", "--db", db_url, "--from", "2024-02-01", "--to", "2024-01-01"])
    assert res.exit_code == 2 and "expected --from on or before --to" in res.output


def test_blindspots_command(runner: CliRunner, ledger_csv: Path, db_url: str, tmp_path: Path) -> None:
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import box

    assert runner.invoke(cli, ["ledger", "import", str(ledger_csv), "--db", db_url, "--quiet"]).exit_code == 0
    cov = tmp_path / "cov"
    cov.mkdir()
    # the western half of the default (Monaco) box is covered
    views = gpd.GeoDataFrame({"camera_id": ["C1"]}, geometry=[box(7.40, 43.72, 7.4225, 43.76)], crs=4326)
    views.to_file(cov / "coverage.gpkg", layer="views", driver="GPKG")
    out, tagged = tmp_path / "demand.csv", tmp_path / "tagged.csv"
    args = ["ledger", "blindspots", "--coverage", str(cov), "--out", str(out), "--tagged", str(tagged)]
    res = runner.invoke(cli, [*args, "--db", db_url])
    assert res.exit_code == 0, res.output
    tags = list(csv.DictReader(tagged.read_text(encoding="utf-8").splitlines(keepends=True)))
    assert len(tags) == 799 and {t["in_view"] for t in tags} == {"yes", "no"}
    assert all((float(t["lon"]) <= 7.4225) == (t["in_view"] == "yes") for t in tags)
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines(keepends=True)))
    assert rows and all(float(r["lon"]) > 7.4225 for r in rows)
    total = sum(int(r["weight"]) for r in rows)
    assert "in blind spots" in res.output and f"{total:,} in blind spots" in res.output
    assert total == sum(len(r["case_ids"].split(";")) for r in rows)
    res = runner.invoke(cli, ["ledger", "blindspots", "--coverage", str(tmp_path / "nope"), "--db", db_url])
    assert res.exit_code == 2 and "no such file" in res.output
    res = runner.invoke(cli, ["ledger", "blindspots", "--coverage", str(cov), "--type-weight", "theft", "--db", db_url])
    assert res.exit_code == 2 and "--type-weight: expected TYPE=NUMBER" in res.output


def test_generate_errors(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["ledger", "generate", "--out", str(tmp_path / "x.csv"), "--bbox", "1,2,3"])
    assert res.exit_code == 2 and "--bbox: expected four numbers" in res.output
    res = runner.invoke(cli, ["ledger", "generate", "--out", str(tmp_path / "x.csv"), "--bbox", "3,2,1,4"])
    assert res.exit_code == 2 and "expected lon_min < lon_max" in res.output


def test_history_command(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    header = "case_id,case_type,occurred_start,occurred_end,lon,lat,area,status,solved_at,"
    header += "video_requested_at,video_expires_at,video_obtained,video_contribution\n"
    f.write_text(header + "A1,theft,2024-01-01,,,,,open,,,,no,none\n", encoding="utf-8")
    assert runner.invoke(cli, ["ledger", "import", str(f), "--db", db_url]).exit_code == 0
    f.write_text(header + "A1,theft,2024-01-01,,,,,solved,2024-02-01,,,no,none\n", encoding="utf-8")
    assert runner.invoke(cli, ["ledger", "import", str(f), "--db", db_url]).exit_code == 0
    res = runner.invoke(cli, ["ledger", "history", "A1", "--db", db_url, "--json"])
    assert res.exit_code == 0, res.output
    changes = [json.loads(line) for line in res.output.splitlines()]
    assert [(c["field"], c["old_value"], c["new_value"]) for c in changes[-2:]] == [
        ("status", "open", "solved"),
        ("solved_at", None, "2024-02-01T00:00:00+00:00"),
    ]
    res = runner.invoke(cli, ["ledger", "history", "Z9", "--db", db_url])
    assert res.exit_code == 2 and "case 'Z9': no history in the ledger" in res.output


def test_stats_trend_note_for_long_windows(runner: CliRunner, ledger_csv: Path, db_url: str) -> None:
    assert runner.invoke(cli, ["ledger", "import", str(ledger_csv), "--db", db_url, "--quiet"]).exit_code == 0
    res = runner.invoke(cli, ["ledger", "stats", "--db", db_url, "--from", "2021-01-01", "--to", "2022-12-31"])
    assert res.exit_code == 0 and "Trend: not computed: 2021-01-01 to 2022-12-31 is longer than a year" in res.output
