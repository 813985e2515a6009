"""docs/ledger.md stays true: every field and command is documented, and the example numbers reproduce."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from xueliang.cli.ledger import ledger
from xueliang.ledger.effects import analyse
from xueliang.ledger.generate import PROFILES, generate_ledger, write_ledger
from xueliang.ledger.io import read_ledger
from xueliang.ledger.metrics import core_measures, solve_comparison, status_date
from xueliang.ledger.render import frac, ratio, render_analysis
from xueliang.ledger.schema import ALL_FIELDS, CONTRIBUTIONS, STATUSES
from xueliang.ledger.store import import_ledger, load_cases
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def test_doc_names_every_field_value_and_command() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in (*ALL_FIELDS, *CONTRIBUTIONS, *STATUSES):
        assert f"`{name}`" in text, name
    for command in ledger.commands:
        assert f"xueliang ledger {command}" in text, command


def test_doc_example_numbers_reproduce(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    write_ledger(path, generate_ledger(5000, seed=1, bad=7))
    parsed = read_ledger(path, now=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    assert (parsed.rows_read, len(parsed.rows), parsed.rejected_rows) == (5007, 4999, 8)
    import_ledger(db, parsed)
    t = load_cases(db)
    text = DOC.read_text(encoding="utf-8")
    for m in core_measures(t):
        assert frac(m.proportion) in text, m.key
    overall = solve_comparison(t)
    assert frac(overall.with_useful) in text and frac(overall.without_useful) in text
    # the models' figures and the count of planted values inside their intervals
    a = analyse(t, status_date(t) or dt.date(2026, 6, 30))
    for r in (a.time_to_solve.hazard_ratio, *a.time_to_solve.hazard_ratio_by_type, a.odds_ratios.overall):
        assert f"{r.scope:<16} {ratio(r)}" in text, r
    m = a.matched
    assert f"{m.matched:,} of {m.treated:,} cases with useful video found a match" in text
    for line in render_analysis(a):  # the example's whole block of model figures, line by line
        assert line.rstrip() in text, line
    planted = [(r, PROFILES[r.scope].hazard_ratio) for r in a.time_to_solve.hazard_ratio_by_type] + [
        (r, PROFILES[r.scope].odds_ratio) for r in a.odds_ratios.by_type
    ]
    inside = sum(r.low is not None and r.high is not None and r.low <= v <= r.high for r, v in planted)
    assert f"{inside} of the 12 intervals hold the planted value" in text
    for name, prof in PROFILES.items():
        row = f"| {name} | {prof.solve_without:.0%} | {prof.odds_ratio:.1f} | {prof.hazard_ratio:.2f} |"
        assert row in text, row
