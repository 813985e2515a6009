"""The demo generator: deterministic, valid, near the published rates, with the bad rows it promises."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from xueliang.ledger.generate import BAD_KINDS, generate_ledger, write_ledger
from xueliang.ledger.io import read_ledger
from xueliang.ledger.metrics import core_measures, solve_comparison
from xueliang.ledger.store import import_ledger, load_cases
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_same_seed_same_ledger() -> None:
    a = generate_ledger(300, seed=7)
    assert a == generate_ledger(300, seed=7)
    assert a.rows != generate_ledger(300, seed=8).rows


def test_generated_ledger_is_valid_and_realistic(db: Database, tmp_path: Path) -> None:
    gen = generate_ledger(3000, seed=1)
    path = tmp_path / "g.csv"
    write_ledger(path, gen)
    parsed = read_ledger(path, now=NOW)
    assert parsed.rejections == () and len(parsed.rows) == 3000
    import_ledger(db, parsed, now=NOW)
    t = load_cases(db)
    m = {x.key: x.proportion.value for x in core_measures(t)}
    assert 0.35 <= (m["obtained_of_all"] or 0) <= 0.55  # BTP: available in 45% of cases
    assert 0.20 <= (m["useful_of_all"] or 0) <= 0.35  # BTP: useful in 29%
    assert 0.55 <= (m["useful_of_obtained"] or 0) <= 0.75  # BTP: 65% of those available
    c = solve_comparison(t)
    assert c.difference.low is not None and c.difference.low > 0
    assert len(set(t.case_type)) == 6 and len({round(x, 4) for x in t.lon}) < 3000  # repeat places


def test_bad_rows_are_each_rejected(tmp_path: Path) -> None:
    gen = generate_ledger(200, seed=2, bad=len(BAD_KINDS))
    assert len(gen.rows) == 200 + len(BAD_KINDS)
    path = tmp_path / "bad.csv"
    write_ledger(path, gen, encoding="gbk")
    parsed = read_ledger(path, now=NOW)
    assert parsed.rejected_rows == len(BAD_KINDS) + 1  # the duplicate's original is rejected too
    assert len(parsed.rows) == 200 - 1


def test_excel_output(tmp_path: Path) -> None:
    gen = generate_ledger(50, seed=3)
    path = tmp_path / "g.xlsx"
    write_ledger(path, gen)
    parsed = read_ledger(path, now=NOW)
    assert parsed.rejections == () and len(parsed.rows) == 50


def test_generated_cases_link_to_the_given_camera_ids(tmp_path: Path) -> None:
    import csv

    from click.testing import CliRunner

    from xueliang.cli import cli

    out = tmp_path / "g.csv"
    r = CliRunner().invoke(
        cli, ["ledger", "generate", "--n", "200", "--out", str(out), "--camera-id", "CAM001", "--camera-id", "CAM002"]
    )
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines(keepends=True)))
    linked = {c for row in rows for c in (row.get("cameras") or "").split(";") if c}
    assert linked == {"CAM001", "CAM002"}
