"""No traceback reaches a user, for any input: adversarial inputs give one clear line and a non-zero exit,
and an unexpected exception gives one line, exit code 1 and a log file holding the traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from xueliang.cli import LOG_DIR_ENV, cli

ROOT = Path(__file__).resolve().parents[1]
TOWN = ROOT / "sample_media" / "town.osm"


@pytest.fixture(autouse=True)
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "logs"
    monkeypatch.setenv(LOG_DIR_ENV, str(d))
    return d


def refused(args: list[str], *, code: int = 2) -> str:
    """Run the CLI; it must exit with ``code``, print no traceback, and say what went wrong on one line."""
    res: Result = CliRunner().invoke(cli, args)
    assert res.exit_code == code, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    errors = [line for line in res.output.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1, res.output
    return errors[0]


def test_unexpected_exception_is_one_line_exit_1_and_a_log(
    tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geo.registry

    def broken(_db: object) -> list[object]:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(geo.registry, "load_cameras", broken)
    line = refused(["cameras", "list", "--db", f"sqlite:///{tmp_path / 'x.db'}"], code=1)
    (log,) = log_dir.glob("crash-*.log")
    assert line == f"error: unexpected RuntimeError: boom (a bug in xueliang; the traceback is in {log})"
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "in broken" in text and "second line" in text


def test_csv_field_over_the_csv_module_limit(tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    f.write_text("id,lon,lat,name\nA,113,28," + "x" * 131_073 + "\n", encoding="utf-8")
    line = refused(["cameras", "import", str(f), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert line == f"error: {f}: not a readable CSV file at line 1: field larger than field limit (131072)"
    line = refused(["ledger", "import", str(f), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert "field larger than field limit (131072)" in line


def test_geojson_nested_100000_deep(tmp_path: Path) -> None:
    f = tmp_path / "deep.geojson"
    f.write_text('{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    line = refused(["cameras", "import", str(f), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert line == f"error: {f}: JSON nested too deeply to read (arrays or objects inside each other)"


@pytest.mark.parametrize("option", ["--candidates", "--weights"])
def test_empty_candidates_or_weights_csv(tmp_path: Path, option: str) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    line = refused(["plan", "--osm", str(TOWN), "--budget", "100000", option, str(empty), "--out", str(tmp_path / "p")])
    assert line.startswith(f"error: {empty}: empty file: expected a header row with lon, lat")


def test_ledger_claim_nan(tmp_path: Path) -> None:
    line = refused(["ledger", "stats", "--claim", "nan", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert "'--claim': expected a number in 0<=x<=1, got 'nan'" in line


def test_year_one_with_an_offset(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    t = "0001-01-01T00:00:00+05:00"
    line = refused(["search", "--from", t, "--to", "0001-01-02T00:00:00+05:00", "--db", db])
    assert line == f"error: --from: expected a time from year 1 to 9999 in UTC, got '{t}' (out of range in UTC)"
    video = tmp_path / "v.mp4"
    video.write_bytes(b"")
    line = refused(["index", str(video), "--camera", "C1", "--start", t, "--db", db])
    assert "expected a time from year 1 to 9999 in UTC" in line


@pytest.mark.parametrize("command", ["similar", "trajectory"])
def test_ids_above_2_to_the_63(tmp_path: Path, command: str) -> None:
    line = refused([command, "--sighting", str(2**63), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert f"Invalid value for '--sighting': {2**63} is not in the range x<=9223372036854775807" in line


def test_geojson_report_of_adversarial_runs_has_no_traceback(tmp_path: Path) -> None:
    # a GeoJSON camera file whose features are each broken differently, imported leniently
    feats = [None, {"type": "Feature"}, {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["a", 1]}}]
    f = tmp_path / "c.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    res = CliRunner().invoke(
        cli,
        [
            "cameras",
            "import",
            str(f),
            "--skip-bad-rows",
            "--report",
            str(tmp_path),
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
    )
    assert res.exit_code == 0 and "Traceback" not in res.output
    assert "3 records left out" in res.output
    assert "Traceback" not in (tmp_path / "import_report.csv").read_text(encoding="utf-8")


def test_xlsx_formula_without_a_cached_value_says_so(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    from xueliang.ledger.io import read_ledger
    from xueliang.ledger.schema import REQUIRED_FIELDS

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(REQUIRED_FIELDS))
    good = ["X1", "fraud", dt.datetime(2024, 5, 1, 9, 30), None, None, None, None, "open"]
    ws.append([*good, None, None, None, False, "none"])
    ws.append(["X2", '=LOWER("FRAUD")', *good[2:], None, None, None, False, "none"])  # openpyxl saves no value
    path = tmp_path / "cases.xlsx"
    wb.save(path)
    parsed = read_ledger(path, now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert [r.record.case_id for r in parsed.rows] == ["X1"]
    (rej,) = parsed.rejections
    assert (rej.row, rej.field, rej.value) == (3, "case_type", '=LOWER("FRAUD")')
    assert rej.reason.startswith('is a formula (=LOWER("FRAUD")) with no saved value')
    assert "is empty" not in rej.message(str(path))
