"""Stored times are UTC; SQLite hands them back naive. One helper makes them aware again."""

from __future__ import annotations

import datetime as dt

from xueliang.errors import InputError


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC: a naive value (as SQLite returns) is taken to be UTC, an aware one is converted."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_iso_utc(value: str, *, source: str, field: str | None = None) -> dt.datetime:
    """ISO 8601 text as aware UTC (no offset = UTC); one clear InputError for text that is not a time
    or a time that has no UTC equivalent (``0001-01-01T00:00+05:00`` falls before year 1)."""
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(source, f"expected ISO 8601 like 2024-05-01T08:00:00Z, got {value!r}", field=field) from None
    try:
        return as_utc(t)
    except OverflowError:
        raise InputError(
            source, f"expected a time from year 1 to 9999 in UTC, got {value!r} (out of range in UTC)", field=field
        ) from None
