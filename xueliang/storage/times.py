"""Stored times are UTC; SQLite hands them back naive. One helper makes them aware again."""

from __future__ import annotations

import datetime as dt


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC: a naive value (as SQLite returns) is taken to be UTC, an aware one is converted."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
