"""Text compared by code point on every database, for prefix ranges (``lo <= text < hi``).

SQLite compares text by code point (its BINARY collation). PostgreSQL uses the database's collation,
usually a linguistic one (``en_US.UTF-8``, ICU ``zh-Hans-CN``) in which ``晋MZ1234`` sorts after
``晋M[`` and 渝 after 渞: a range built by bumping the last character of a prefix then misses rows.
``code_point(col)`` renders ``col COLLATE "C"`` on PostgreSQL and the bare column elsewhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import String


class code_point(ColumnElement[str]):
    """``column`` compared by code point (see the module docstring)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[str] | Any) -> None:
        self.column = column
        self.type = String()


@compiles(code_point)
def _plain(element: code_point, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(code_point, "postgresql")
def _collate_c(element: code_point, compiler: Any, **kw: Any) -> str:
    return f'{compiler.process(element.column, **kw)} COLLATE "C"'
