"""Compact table definitions for the migrations (``xueliang/storage/migrations/versions/``).

Frozen, like :mod:`xueliang.storage.append_only`: released migrations build their tables through
:func:`create_table`, so what a spec means must never change (a new need is a new word, never a changed one);
``tests/test_migrations.py`` checks the migrated schema against the ORM models.

A spec lists the columns in table order, one a line (or separated by commas): ``name Type [NULL] [PK]``.
``Type`` is ``String(n)`` or one of :data:`TYPES`; ``DateTime`` is always timezone-aware (``timestamptz`` on
PostgreSQL). A column is NOT NULL unless marked ``NULL``; the ``PK`` columns form the primary key, named
``pk_<table>`` (one integer ``PK`` column is auto-incrementing, as SQLAlchemy does by default). Columns with server
defaults, and every other constraint, are passed as SQLAlchemy objects after the spec.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from alembic import op

TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "Integer": sa.Integer,
    "BigInteger": sa.BigInteger,
    "Float": sa.Float,
    "Boolean": sa.Boolean,
    "Text": sa.Text,
    "LargeBinary": sa.LargeBinary,
    "DateTime": lambda: sa.DateTime(timezone=True),
}
_STRING = re.compile(r"String\((\d+)\)")


def _type(word: str, line: str) -> sa.types.TypeEngine[Any]:
    if m := _STRING.fullmatch(word):
        return sa.String(int(m.group(1)))
    if word in TYPES:
        return TYPES[word]()
    raise ValueError(f"column spec {line!r}: expected a type String(n) or one of {sorted(TYPES)}, got {word!r}")


def columns(spec: str) -> tuple[list[sa.Column[Any]], list[str]]:
    """The columns of ``spec`` (see the module's docstring) and the names of its ``PK`` columns."""
    cols: list[sa.Column[Any]] = []
    pk: list[str] = []
    for line in filter(None, (raw.strip() for raw in re.split(r"[\n,]", spec))):
        name, word, *flags = line.split()
        if set(flags) - {"NULL", "PK"}:
            raise ValueError(f"column spec {line!r}: expected flags NULL or PK, got {' '.join(flags)!r}")
        cols.append(sa.Column(name, _type(word, line), nullable="NULL" in flags))
        if "PK" in flags:
            pk.append(name)
    return cols, pk


def create_table(name: str, spec: str, *items: sa.Column[Any] | sa.Constraint, indexes: Iterable[str] = ()) -> None:
    """``op.create_table`` of ``spec``'s columns, then ``items`` (more columns, constraints), with the primary key
    ``pk_<name>`` of the ``PK`` columns and one index ``ix_<name>_<column>`` per name in ``indexes``."""
    cols, pk = columns(spec)
    extra = [i for i in items if isinstance(i, sa.Column)]
    constraints = [i for i in items if not isinstance(i, sa.Column)]
    op.create_table(name, *cols, *extra, sa.PrimaryKeyConstraint(*pk, name=f"pk_{name}"), *constraints)
    for col in indexes:
        op.create_index(f"ix_{name}_{col}", name, [col])


def foreign_key(table: str, column: str, target: str, *, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    """``table.column`` references ``target`` (``other_table.column``), named ``fk_<table>_<column>_<other_table>``."""
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{other}", ondelete=ondelete)
