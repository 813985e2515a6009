"""The migrations build exactly the schema the ORM models describe, and their downgrades undo them.

Runs on SQLite and PostgreSQL (``$XUELIANG_TEST_PG``, see tests/conftest.py).
"""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from xueliang.storage import Database
from xueliang.storage.base import Base
from xueliang.storage.database import MIGRATIONS, upgrade
from xueliang.storage.migration_ops import columns

pytestmark = pytest.mark.postgresql

TABLE_MODULES = (
    "xueliang.storage.tables",
    "vision.tables",
    "xueliang.investigate.tables",
    "xueliang.investigate.plate_index",
    "xueliang.investigate.watch",
    "xueliang.ledger.tables",
    "xueliang.web.tables",
)


def _by_design(diff: object, dialect: str) -> bool:
    """The two differences the migrations make on purpose (see their docstrings)."""
    text = repr(diff)
    if dialect == "postgresql":  # search_0002: plate_text COLLATE "C", an index the models cannot declare portably
        return "remove_index" in text and "ix_sightings_plate_text_c" in text
    # vision_0002: SQLite's INTEGER is already 64-bit, so size_bytes stays INTEGER there
    return "modify_type" in text and "'size_bytes'" in text and "BigInteger" in text


def test_migrated_schema_matches_the_models(db: Database) -> None:
    for module in TABLE_MODULES:
        importlib.import_module(module)
    assert {"sightings", "audit_log", "ledger_history", "web_users", "watch_rules"} <= set(Base.metadata.tables)
    dialect = db.engine.dialect.name
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        diff = compare_metadata(context, Base.metadata)
    assert [d for d in diff if not _by_design(d, dialect)] == []
    assert len(diff) == 1  # the one difference by design on this dialect is still seen: the comparison works


def _schema(engine: sa.Engine) -> list[tuple[str, ...]]:
    """Tables, columns, indexes, constraints and triggers, as comparable text."""
    insp = sa.inspect(engine)
    out: list[tuple[str, ...]] = []
    for table in sorted(insp.get_table_names()):
        out += [(table, c["name"], str(c["type"]), str(c["nullable"])) for c in insp.get_columns(table)]
        out += [(table, "ix", i["name"] or "", ",".join(map(str, i["column_names"]))) for i in insp.get_indexes(table)]
        out += [(table, "fk", f["name"] or "", f["referred_table"]) for f in insp.get_foreign_keys(table)]
        out += [(table, "uq", u["name"] or "") for u in insp.get_unique_constraints(table)]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            q = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        else:
            q = "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname"
        out += [("trigger", str(name), str(sql)) for name, sql in conn.exec_driver_sql(q)]
    return sorted(out)


def test_downgrade_to_base_and_upgrade_again_gives_the_same_schema(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        upgrade(engine)
        first = _schema(engine)
        assert any(row[0] == "trigger" and row[1].startswith("audit_log") for row in first)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
        assert [row for row in _schema(engine) if row[0] == "trigger"] == []
        upgrade(engine)
        assert _schema(engine) == first
    finally:
        engine.dispose()


def test_column_spec_reads_types_nulls_and_primary_key() -> None:
    cols, pk = columns("id Integer PK, note Text NULL\n  at DateTime\n code String(20) NULL")
    assert [c.name for c in cols] == ["id", "note", "at", "code"] and pk == ["id"]
    assert [c.nullable for c in cols] == [False, True, False, True]
    assert isinstance(cols[2].type, sa.DateTime) and cols[2].type.timezone
    assert isinstance(cols[3].type, sa.String) and cols[3].type.length == 20


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("at Timestamp", r"expected a type String\(n\) or one of .* got .Timestamp"),
        ("at DateTime NOT_NULL", "expected flags NULL or PK"),
    ],
)
def test_column_spec_mistakes_are_named(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        columns(spec)
