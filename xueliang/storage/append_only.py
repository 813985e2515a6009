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


def _on(dialect: str, sql: str, tables: tuple[str, ...], **names: str) -> None:
    """On ``dialect`` only, execute ``sql`` once per table (``{table}`` and ``names`` filled in)."""
    if op.get_bind().dialect.name == dialect:
        for table in tables:
            op.execute(sql.format(table=table, **names))


def refuse_update_delete(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` (SQLite and PostgreSQL)."""
    for action in ("UPDATE", "DELETE"):
        _on(
            "sqlite",
            "CREATE TRIGGER {table}_no_{lower} BEFORE {action} ON {table} "
            "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
            (table,),
            action=action,
            lower=action.lower(),
        )
    _on(
        "postgresql",
        "CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$",
        (table,),
    )
    _on(
        "postgresql",
        "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        (table,),
    )


def refuse_truncate(*tables: str) -> None:
    """On PostgreSQL, refuse TRUNCATE of each table too (needs :func:`refuse_update_delete`'s function)."""
    _on(
        "postgresql",
        "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
        tables,
    )


def drop_truncate_refusal(*tables: str) -> None:
    _on("postgresql", "DROP TRIGGER {table}_no_truncate ON {table}", tables)


def drop_append_only_function(table: str) -> None:
    """On PostgreSQL, drop the function and with it (CASCADE) every trigger of :func:`refuse_update_delete`
    and :func:`refuse_truncate` (SQLite's triggers go with their table)."""
    _on("postgresql", "DROP FUNCTION IF EXISTS {table}_append_only() CASCADE", (table,))


def refuse_replace(*tables: str) -> None:
    """On SQLite, refuse an insert whose ``id`` is taken: ``INSERT OR REPLACE``/``REPLACE INTO`` would otherwise
    delete the old row without firing the DELETE trigger (recursive_triggers is off). PostgreSQL's ``ON CONFLICT
    DO UPDATE`` fires the UPDATE trigger already."""
    _on(
        "sqlite",
        "CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        "WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        tables,
    )


def drop_sqlite_triggers(table: str, *refused: str) -> None:
    """On SQLite, drop the triggers ``<table>_no_<action>`` of the ``refused`` actions (``update``, ``replace``...)."""
    for action in refused:
        _on("sqlite", "DROP TRIGGER IF EXISTS {table}_no_{action}", (table,), action=action)
