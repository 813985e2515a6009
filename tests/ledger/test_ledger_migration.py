"""The ledger_0001 migration creates exactly the tables the models describe; the history is append-only."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DatabaseError

from xueliang.ledger.tables import LedgerHistoryRow
from xueliang.storage import Database
from xueliang.storage.base import Base

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)


def test_migration_matches_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if "ledger_" in repr(d)]
    assert ours == []
    with db.engine.connect() as conn:
        heads = {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert "ledger_0003" in heads  # the ledger branch is at its head


def test_history_is_append_only(db: Database) -> None:
    row = {"case_id": "A1", "field": "status", "old_value": None, "new_value": "open"}
    row |= {
        "changed_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        "source": "f.csv",
        "source_sha256": "0" * 64,
    }
    with db.transaction() as s:
        s.execute(insert(LedgerHistoryRow), [row])
    with pytest.raises(DatabaseError, match="ledger_history is append-only"), db.transaction() as s:
        s.execute(update(LedgerHistoryRow).values(new_value="solved"))
    with pytest.raises(DatabaseError, match="ledger_history is append-only"), db.transaction() as s:
        s.execute(delete(LedgerHistoryRow))
    if db.engine.dialect.name == "postgresql":  # TRUNCATE skips row triggers; SQLite has no TRUNCATE
        with pytest.raises(DatabaseError, match="ledger_history is append-only"), db.transaction() as s:
            s.execute(text("TRUNCATE ledger_history"))
    with db.sessions() as s:
        assert list(s.scalars(select(LedgerHistoryRow.new_value))) == ["open"]
