"""Two ``ledger import`` runs at once on one database: the second waits for the first, then imports
against what the first wrote; no lost update, no crash."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.ledger.test_ledger_import import NOW, case, write_csv
from xueliang.ledger.io import read_ledger
from xueliang.ledger.store import import_ledger
from xueliang.ledger.tables import LedgerCaseRow, LedgerHistoryRow
from xueliang.storage import Database

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)


def _count(db: Database, table: type) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_an_import_waits_for_one_in_progress(db: Database, tmp_path: Path) -> None:
    parsed = read_ledger(write_csv(tmp_path / "a.csv", [case("A1"), case("A2")]), now=NOW)
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with db.exclusive_transaction("ledger import"):
            holding.set()
            time.sleep(1.0)
            order.append("first done")

    t = threading.Thread(target=first)
    t.start()
    holding.wait(10)
    result = import_ledger(db, parsed, now=NOW)
    order.append("second done")
    t.join()
    assert order == ["first done", "second done"] and result.added == 2


def test_two_overlapping_imports_at_once(db: Database, db_url: str, tmp_path: Path) -> None:
    """Two real ``xueliang ledger import`` processes started together, with 20 case ids in common."""
    a = write_csv(tmp_path / "a.csv", [case(f"C{i}") for i in range(40)])
    b = write_csv(tmp_path / "b.csv", [case(f"C{i}", area="Nanhu") for i in range(20, 60)])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "xueliang", "ledger", "import", "--quiet", "--db", db_url]
    procs = [
        subprocess.Popen([*cmd, str(f)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        for f in (a, b)
    ]
    outs = [(p.communicate(timeout=300)[0], p.returncode) for p in procs]  # communicate closes the pipes
    assert all(code == 0 and "Traceback" not in out for out, code in outs), outs
    with db.sessions() as s:
        areas = {r.case_id: r.area for r in s.execute(select(LedgerCaseRow.case_id, LedgerCaseRow.area)).all()}
        changes = s.scalar(select(func.count()).select_from(LedgerHistoryRow).where(LedgerHistoryRow.field == "area"))
    assert len(areas) == 60
    assert {areas[f"C{i}"] for i in range(20)} == {"Hexi"} and {areas[f"C{i}"] for i in range(40, 60)} == {"Nanhu"}
    # the 20 shared cases hold the values of whichever import ran second: it found them stored and recorded
    # 20 changes, besides one history row per new case (40 + 20 new cases, 20 changes)
    shared = {areas[f"C{i}"] for i in range(20, 40)}
    assert len(shared) == 1 and changes == 80
