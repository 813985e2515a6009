"""Options and helpers every command shares."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from xueliang.config import resolve_db_url
from xueliang.storage import Database, open_database

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    """``--db URL``; falls back to ``$XUELIANG_DB``, then ``./xueliang.db``."""
    return click.option(
        "--db",
        "db_url",
        default=None,
        metavar="URL",
        help="Database URL (default: $XUELIANG_DB, else sqlite file ./xueliang.db).",
    )(func)


def open_db(db_url: str | None) -> Database:
    return open_database(resolve_db_url(db_url))


@contextmanager
def opened_db(db_url: str | None) -> Iterator[Database]:
    """:func:`open_db`, disposed of when the block ends (however it ends)."""
    db = open_db(db_url)
    try:
        yield db
    finally:
        db.dispose()
