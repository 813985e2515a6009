"""``xueliang report``: the HTML's tables and the PDF, rendered to PNG pages and read back as text."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.web.factories import CAMERAS, TOWN, WebData
from xueliang.cli import cli
from xueliang.ledger.store import import_ledger_file
from xueliang.report.build import build_report
from xueliang.report.data import ledger_sources, load_coverage, load_ledger_stats
from xueliang.storage import Database, open_database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)

NEEDS_PDF_TOOLS = pytest.mark.skipif(
    shutil.which("chromium") is None or shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="needs Debian chromium and poppler-utils (apt-get install chromium poppler-utils)",
)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@NEEDS_PDF_TOOLS
def test_report_pdf_has_every_section(report_data: WebData, tmp_path: Path) -> None:
    out = tmp_path / "report"
    r = CliRunner().invoke(
        cli,
        [
            "report",
            "--osm",
            str(TOWN),
            "--cameras",
            str(CAMERAS),
            "--plan",
            str(report_data.plan),
            "--db",
            report_data.db_url,
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert (out / "coverage" / "summary.json").is_file()  # --osm without --coverage ran the coverage
    pdf = out / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4 and all(p.stat().st_size > 5000 for p in pages)
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    for p in pages:
        shutil.copy(p, artifacts / f"report_{p.name}")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for heading in (
        "1. Compliance with the programme's targets",
        "2. Coverage maps per target class",
        "3. Placement plan: before and after",
        "4. Case ledger: what video contributed",
        "5. Provenance",
    ):
        assert heading in text, heading
    assert "no blind corner at road intersections" in text and "FAIL" in text
    assert _sha(TOWN)[:16] in text  # traceable to the input's hash (the full hash is in the HTML)
    assert _sha(TOWN) in (out / "report.html").read_text(encoding="utf-8")
    stats = load_ledger_stats(report_data.db_url)
    assert stats is not None
    p = stats["measures"][0]["proportion"]
    assert stats["measures"][0]["key"] == "video_supported_of_solved"
    at = text.index("video-supported, share of")
    row = rf"\b{p['numerator']}\s+{p['denominator']}\s+{100 * p['value']:.1f}%\s+{100 * p['low']:.1f}% – "
    assert re.search(row, text[at : at + 400]), text[at : at + 400]
    for name in ("intersections", "main_road_nodes", "crowded_areas", "key_sites", "boundary_crossings"):
        assert (out / f"map_{name}.png").stat().st_size > 10000
    db = open_database(report_data.db_url)
    last = db.audit_log(limit=1)[0]
    db.dispose()
    assert last.action == "report.build" and last.result_count == stats["cases"]
    assert _sha(report_data.root / "ledger.csv") in (out / "report.html").read_text(encoding="utf-8")


def test_html_tables_match_the_inputs(report_data: WebData, tmp_path: Path) -> None:
    res = build_report(tmp_path / "r", coverage=str(report_data.coverage), plan=str(report_data.plan), pdf=False)
    html = res.html.read_text(encoding="utf-8")
    summary = json.loads((report_data.coverage / "summary.json").read_text(encoding="utf-8"))
    inter = summary["classes"]["intersections"]
    assert f'<td class="num">{inter["covered"]}</td><td class="num">{inter["total"]}</td>' in html
    assert "东村 Dongcun" in html and "2 of 2" not in html  # the village table, not the summary's text
    assert _sha(report_data.coverage / "summary.json") in html
    assert res.pdf is None and res.ledger is None and "No ledger" in html
    plan = json.loads((report_data.plan / "plan.json").read_text(encoding="utf-8"))
    assert f"{plan['cameras_added']} cameras added" in html


def test_compliance_rows_pass_only_at_target(report_data: WebData) -> None:
    cov = load_coverage(report_data.coverage)
    rows = {r.name: r for r in cov.rows}
    assert not rows["intersections"].passed and rows["intersections"].ratio == pytest.approx(7 / 38, abs=1e-3)
    assert cov.villages_meeting == cov.villages_total == 2 and not cov.all_passed


def test_report_needs_an_input(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["report", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "expected at least one of --osm, --coverage, --plan, --db" in r.output


def test_bad_coverage_folder_is_named(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["report", "--coverage", str(tmp_path), "--out", str(tmp_path / "x"), "--no-pdf"])
    assert r.exit_code == 2 and "expected a coverage folder with summary.json" in r.output


def test_ledger_sources_give_the_import_time_in_utc(db: Database, tmp_path: Path) -> None:
    """The report's input list names each ledger file with its import time in UTC, whatever time zone
    the database hands times back in (PostgreSQL: the session's, e.g. +08:00)."""
    f = tmp_path / "ledger.csv"
    f.write_text(
        "case_id,case_type,occurred_start,occurred_end,lon,lat,area,status,solved_at,video_requested_at,"
        "video_expires_at,video_obtained,video_contribution\n"
        "A1,theft,2024-03-01 14:30,,7.42,43.73,Hexi,open,,,,no,none\n",
        encoding="utf-8",
    )
    import_ledger_file(db, f, now=dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC))
    (src,) = ledger_sources(db)
    assert src["source"].endswith("ledger.csv") and src["imported"][:19] == "2025-06-01 12:00:00"


def test_ledger_trend_table_with_equal_follow_up(report_data: WebData, tmp_path: Path) -> None:
    res = build_report(tmp_path / "r", db_url=report_data.db_url, pdf=False)
    html = res.html.read_text(encoding="utf-8")
    stats = load_ledger_stats(report_data.db_url)
    assert stats is not None and stats["trend"] is not None
    tr = stats["trend"]
    assert f"the ledger's status date is {tr['status_date']}" in html
    table = html[html.index('<table id="ledger-trend">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + len(tr["year_on_year"]) == 5
    for c in tr["year_on_year"]:
        cur, base = c["current"], c["baseline"]
        cells = (
            f'<td>{c["label"]}</td><td class="num">{100 * cur["value"]:.1f}% '
            f'({cur["numerator"]}/{cur["denominator"]})</td><td class="num">{100 * base["value"]:.1f}% '
            f"({base['numerator']}/{base['denominator']})</td>"
            f'<td class="num">{100 * c["difference"]["estimate"]:+.1f}</td>'
        )
        assert cells in table, (cells, table)


def test_report_shows_time_to_solve_ratios_and_funnel(report_data: WebData, tmp_path: Path) -> None:
    """The Kaplan–Meier chart, the forest plot and the funnel, each with its one-line method, and the
    numbers of their tables equal to ``ledger stats --json``."""
    res = build_report(tmp_path / "r", db_url=report_data.db_url, pdf=False)
    html = res.html.read_text(encoding="utf-8")
    stats = load_ledger_stats(report_data.db_url)
    assert stats is not None and stats["analysis"] is not None
    a = stats["analysis"]
    for name, method in (("km", "method-km"), ("forest", "method-forest"), ("funnel", "method-funnel")):
        png = tmp_path / "r" / f"ledger_{name}.png"
        assert png.stat().st_size > 5000 and f'src="ledger_{name}.png"' in html
        assert f'id="{method}">Method: ' in html
    assert f"censored at the status date {a['status_date']}" in html
    hr = a["time_to_solve"]["hazard_ratio"]
    assert f'<td>all</td><td class="num">{hr["estimate"]:.2f} ({hr["low"]:.2f} – {hr["high"]:.2f})' in html
    m = a["matched"]
    assert f"{m['matched']} of {m['treated']} cases found a match" in html
    steps = html[html.index('<table id="ledger-funnel-table">') :]
    for st in a["funnel"]["steps"]:
        assert f'<td>{st["step"]}</td><td class="num">{st["count"]}</td>' in steps
