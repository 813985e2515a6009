"""Times: stored times are UTC. One column type keeps them aware (``UTCDateTime``), one parser reads ISO 8601."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from xueliang.errors import InputError


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC: a naive value (as SQLite returns) is taken to be UTC, an aware one is converted."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_iso(value: str, *, source: str, field: str | None = None) -> dt.datetime:
    """ISO 8601 (``Z`` allowed); a value without offset is taken as UTC. Returned aware, in UTC.

    A time with no UTC equivalent (``0001-01-01T00:00+05:00`` falls before year 1) is one clear InputError.
    """
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(source, f"expected ISO 8601 like 2024-05-01T08:00:00Z, got {value!r}", field=field) from exc
    try:
        return as_utc(t)
    except OverflowError:
        raise InputError(
            source, f"expected a time from year 1 to 9999 in UTC, got {value!r} (out of range in UTC)", field=field
        ) from None


class UTCDateTime(TypeDecorator[dt.datetime]):
    """``DateTime(timezone=True)`` (``timestamptz`` on PostgreSQL) that binds and returns aware UTC.

    SQLite stores the UTC wall time as text and hands it back naive; PostgreSQL hands back the server's
    zone (e.g. +08:00). Either way a read value is aware UTC; a naive value bound is taken to be UTC.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else as_utc(value)
