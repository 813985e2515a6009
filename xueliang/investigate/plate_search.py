"""Plate search in pages: the first ``limit`` sightings of a plate pattern in time order, and a total.

Three ways in, chosen per query (:attr:`PlatePage.method` says which):

* ``exact`` — a whole plate (no wildcard, no one-off): the B-tree ``(plate_text, first_seen)``
  gives the plate's sightings already in time order, a window is a range of the same index, the
  total an index-only count.
* ``plates`` — the gram index (:mod:`xueliang.investigate.plate_index`) gives the distinct plates
  the pattern matches; when they are few (:data:`FEW_PLATES`, :data:`WINDOW_PLATES` with a window),
  their sightings are read through the same B-tree (one range per plate) and the total is exact.
* ``scan`` — a pattern matching more plates than that, or too loose for the gram index
  (``晋*``): the sightings are walked in time order through the index that starts with
  ``first_seen`` (``ix_sightings_window_plate``, which holds ``plate_text``: no table reads) and the
  walk stops once the page is full, so a 58,000-hit pattern reads about ``limit / share`` index
  entries, not 58,000 rows. The total is then an estimate (hits found × the time span in range ÷ the
  span walked: sightings are spread over time) unless the walk reached the end.

Partial plates (``粤B6R*``, a half-covered plate) are matched as :class:`PlatePattern` scores them,
on every path. The next page starts after the last hit (``after=(first_seen, sighting_id)``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from vision.tables import SightingRow
from xueliang.investigate.plate_index import GRAMS, candidate_plates
from xueliang.investigate.plates_match import PlatePattern
from xueliang.investigate.search import MAX_TRACK, Hit, TimeWindow, camera_positions, fetch_hits, window_clause
from xueliang.storage import Database
from xueliang.storage.times import as_utc

FEW_PLATES = 20_000  # without a window, up to this many matched plates are read plate by plate
WINDOW_PLATES = 20_000  # with a window (one short index range per plate), up to this many
_STREAM = 2_000


@dataclass(frozen=True)
class PlatePage:
    """One page of a plate search: hits by (first_seen, id), the total (exact or estimated)."""

    pattern: str
    max_edits: int
    hits: tuple[Hit, ...]
    total: int
    total_is_estimate: bool
    method: str  # exact | plates | scan
    more: bool  # hits after this page exist

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "max_edits": self.max_edits,
            "count": len(self.hits),
            "total": self.total,
            "total_is_estimate": self.total_is_estimate,
            "method": self.method,
            "more": self.more,
            "hits": [h.to_json() for h in self.hits],
        }


Key = tuple[dt.datetime, int]


def _after(rows: Iterable[Any], after: Key | None) -> Iterable[Any]:
    if after is None:
        return rows
    return (r for r in rows if (as_utc(r.first_seen), r.id) > after)


def _partials(conn: Connection, pattern: PlatePattern) -> list[str]:
    """Stored partial plates (with ``*``) the pattern matches: few, from the gram index's ``*`` gram."""
    found = conn.execute(select(GRAMS.c.plate).where(GRAMS.c.gram == "*")).scalars()
    return [p for p in found if pattern.score(p) > 0]


def _is_whole(pattern: PlatePattern) -> bool:
    return pattern.max_edits == 0 and "*" not in pattern.text and "?" not in pattern.text


def _time_bounds(window: TimeWindow | None, after: Key | None) -> list[Any]:
    c: list[Any] = [] if window is None else [window_clause(window)]
    if after is not None:
        c.append(SightingRow.first_seen >= after[0])
    return c


def _by_plates(
    conn: Connection, plates: Sequence[str], window: TimeWindow | None, after: Key | None, limit: int
) -> tuple[list[Any], int]:
    """The first ``limit + 1`` (id, first_seen) of these plates' sightings after ``after``, and how many
    in all: one range of ``(plate_text, first_seen)`` per plate, ordered, limited and counted in SQL."""
    if not plates:
        return [], 0
    where = [SightingRow.plate_text.in_(list(plates)), *_time_bounds(window, None)]
    total = int(conn.execute(select(func.count()).select_from(SightingRow).where(*where)).scalar_one())
    page = select(SightingRow.id, SightingRow.first_seen).where(*where)
    if after is not None:
        t, i = after
        page = page.where(or_(SightingRow.first_seen > t, and_(SightingRow.first_seen == t, SightingRow.id > i)))
    rows = conn.execute(page.order_by(SightingRow.first_seen, SightingRow.id).limit(limit + 1)).all()
    return list(rows), total


def _scan(
    conn: Connection,
    pattern: PlatePattern,
    plates: set[str] | None,
    window: TimeWindow | None,
    after: Key | None,
    limit: int,
) -> tuple[list[Any], bool]:
    """Walk the sightings in time order until ``limit + 1`` hits (ties on first_seen kept together);
    returns them (in walk order) and whether the walk reached the end. ``plates``, when given, already
    holds the stored partial plates the pattern matches."""
    likes = or_(*(SightingRow.plate_text.like(p) for p in pattern.like_patterns()))
    stmt = (
        select(SightingRow.id, SightingRow.first_seen, SightingRow.plate_text)
        .where(likes, *_time_bounds(window, after))
        .order_by(SightingRow.first_seen)
        .execution_options(stream_results=True, yield_per=_STREAM)
    )
    hits: list[Any] = []
    result = conn.execute(stmt)
    try:
        for r in _after(result, after):
            if len(hits) > limit and r.first_seen != hits[-1].first_seen:
                return hits, False
            p = r.plate_text
            if p in plates if plates is not None else pattern.score(p) > 0:
                hits.append(r)
    finally:
        result.close()
    return hits, True


def _span(conn: Connection, window: TimeWindow | None) -> tuple[dt.datetime, dt.datetime] | None:
    """The times the sightings in range span (each bound one index lookup: SQLite answers a lone
    ``min()``/``max()`` from the index, not several in one SELECT)."""
    lo = conn.execute(select(func.min(SightingRow.first_seen))).scalar()
    hi = conn.execute(select(func.max(SightingRow.first_seen))).scalar()
    if lo is None or hi is None:
        return None
    lo, hi = as_utc(lo), as_utc(hi)
    if window is not None:
        lo, hi = max(lo, window.start - MAX_TRACK), min(hi, window.end)
    return (lo, hi) if hi > lo else None


def _estimate(conn: Connection, hits: list[Any], window: TimeWindow | None, after: Key | None) -> int:
    """Hits in the whole range, from those found in the part walked: sightings are spread over time
    roughly evenly, so the count scales with the time span (found ÷ span walked × span in range)."""
    span = _span(conn, window)
    if span is None or not hits:
        return len(hits)
    start = span[0] if after is None else max(span[0], after[0])
    walked = (as_utc(hits[-1].first_seen) - start).total_seconds()
    if walked <= 0:
        return len(hits)
    return max(len(hits), round(len(hits) * (span[1] - start).total_seconds() / walked))


def plate_search(
    db: Database,
    pattern: PlatePattern,
    *,
    window: TimeWindow | None = None,
    limit: int = 50,
    after: Key | None = None,
    positions: dict[str, tuple[float, float]] | None = None,
) -> PlatePage:
    """One page of ``pattern``'s sightings (see the module text for the way each query takes)."""
    if limit < 1:
        raise ValueError(f"limit: expected a positive number, got {limit}")
    after = None if after is None else (as_utc(after[0]), int(after[1]))
    estimate = False
    with db.engine.connect() as conn:
        if _is_whole(pattern):
            method = "exact"
            rows, total = _by_plates(conn, [pattern.text, *_partials(conn, pattern)], window, after, limit)
        else:
            found = candidate_plates(db, pattern)
            plates = None if found.plates is None else [*found.plates, *_partials(conn, pattern)]
            if plates is not None and len(plates) <= (FEW_PLATES if window is None else WINDOW_PLATES):
                method = "plates"
                rows, total = _by_plates(conn, plates, window, after, limit)
            else:
                method = "scan"
                hits, done = _scan(conn, pattern, None if plates is None else set(plates), window, after, limit)
                rows = sorted(hits, key=lambda r: (as_utc(r.first_seen), r.id))
                total = len(rows) if done else _estimate(conn, hits, window, after)
                estimate = not done
    more = len(rows) > limit
    ids = [r.id for r in rows[:limit]]
    positions = camera_positions(db) if positions is None else positions
    by_id = fetch_hits(db, ids, positions=positions)
    hits_out = tuple(dataclasses.replace(by_id[i], score=pattern.score(by_id[i].plate_text)) for i in ids)
    if after is None and not estimate:
        total = max(total, len(hits_out))
    return PlatePage(pattern.text, pattern.max_edits, hits_out, total, estimate, method, more)


__all__ = ["FEW_PLATES", "PlatePage", "plate_search"]
