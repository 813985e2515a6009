"""The ledger_0001 migration creates exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import xueliang.ledger.models  # noqa: F401  (registers the ledger tables on Base.metadata)
from xueliang.storage import Database
from xueliang.storage.base import Base


def test_migration_matches_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if "ledger_" in repr(d)]
    assert ours == []
    with db.engine.connect() as conn:
        heads = {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert "ledger_0001" in heads
