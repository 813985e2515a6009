"""Append-only triggers, the DDL shared by the released migrations (``core_0002/0003``, ``ledger_0001-0003``,
``search_0001/0003/0005``, ``web_0003``).

Frozen: these functions emit the SQL of migrations already applied to databases in use, so what they
emit must never change (a new rule is a new function and a new migration). SQLite gets one trigger per
refused action; PostgreSQL one plpgsql function per table raising ``'<table> is append-only'``, a row
trigger for UPDATE and DELETE and, separately, a statement trigger for TRUNCATE (which fires no row
triggers), and on SQLite a BEFORE INSERT trigger refuses a replacing insert. Other databases rely on the code.
"""

from __future__ import annotations

from alembic import op


def refuse_update_delete(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` (SQLite and PostgreSQL)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )


def refuse_truncate(*tables: str) -> None:
    """On PostgreSQL, refuse TRUNCATE of each table too (needs :func:`refuse_update_delete`'s function)."""
    if op.get_bind().dialect.name == "postgresql":
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
            )


def drop_truncate_refusal(*tables: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in tables:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")


def drop_append_only_function(table: str) -> None:
    """On PostgreSQL, drop the function and with it (CASCADE) every trigger of :func:`refuse_update_delete`
    and :func:`refuse_truncate` (SQLite's triggers go with their table)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only() CASCADE")


def refuse_replace(*tables: str) -> None:
    """On SQLite, refuse an insert whose ``id`` is taken: ``INSERT OR REPLACE``/``REPLACE INTO`` would otherwise
    delete the old row without firing the DELETE trigger (recursive_triggers is off). PostgreSQL's ``ON CONFLICT
    DO UPDATE`` fires the UPDATE trigger already."""
    if op.get_bind().dialect.name == "sqlite":
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def drop_sqlite_triggers(table: str, *refused: str) -> None:
    """On SQLite, drop the triggers ``<table>_no_<action>`` of the ``refused`` actions (``update``, ``replace``...)."""
    if op.get_bind().dialect.name == "sqlite":
        for action in refused:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
