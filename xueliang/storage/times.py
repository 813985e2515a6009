"""Times: stored times are UTC; SQLite hands them back naive. One helper makes them aware again, one parses ISO."""

from __future__ import annotations

import datetime as dt

from xueliang.errors import InputError


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC: a naive value (as SQLite returns) is taken to be UTC, an aware one is converted."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_iso(value: str, *, source: str, field: str | None = None) -> dt.datetime:
    """ISO 8601 (``Z`` allowed); a value without offset is taken as UTC. Returned aware, in UTC."""
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(source, f"expected ISO 8601 like 2024-05-01T08:00:00Z, got {value!r}", field=field) from exc
    return as_utc(t)
