"""Plate search in pages: the first ``limit`` sightings of a plate pattern in time order, and a total.

Three ways in, chosen per query (:attr:`PlatePage.method` says which):

* ``exact`` — a whole plate (no wildcard, no one-off): the B-tree ``(plate_text, first_seen)``
  gives the plate's sightings already in time order, a window is a range of the same index, the
  total an index-only count.
* ``plates`` — the gram index (:mod:`xueliang.investigate.plate_index`) gives the distinct plates
  the pattern matches; when their sightings are few, they are read through the same B-tree (one
  range per plate), paged and counted in SQL: the total is exact.
* ``scan`` — a pattern matching many sightings, or too loose for the gram index (``晋*``): the
  sightings are walked in time order through the index that starts with ``first_seen``
  (``ix_sightings_window_plate``, which holds ``plate_text``: no table reads), each plate tested
  against the matched plate set (or the pattern), and the walk stops once the page is full, so a
  120,000-hit pattern reads about ``limit / share`` index entries, not 120,000 rows. The total is
  then an estimate (hits found × the time span in range ÷ the span walked: sightings are spread over
  time) unless the walk reached the end.

The choice between ``plates`` and ``scan`` is by selectivity (:func:`_walk_is_cheaper`): the
sightings of a sample of the matched plates are counted (one index-only count), which estimates the
hits; the walk costs about ``page × sightings in range ÷ hits`` index entries, the plate ranges one
seek per plate plus every hit.

Other filters (colour, type, plate state, class, cameras) narrow every path in SQL. Partial plates
(``粤B6R*``, a half-covered plate) are matched as :class:`PlatePattern` scores them, on every path.
The next page starts after the last hit (``after=(first_seen, sighting_id)``).
:func:`plate_search` with ``ranked=True`` pages by score first (exact matches, then one character off, then
partial plates), each band in time order, with a :class:`Cursor` the CLI and the web pass on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from vision.tables import SightingRow
from xueliang.errors import InputError
from xueliang.investigate.plate_index import GRAMS, candidate_plates
from xueliang.investigate.plates_match import EXACT_SCORE, ONE_OFF_SCORE, PARTIAL_SCORE, PlatePattern
from xueliang.investigate.search import (
    MAX_TRACK,
    Hit,
    SightingQuery,
    TimeWindow,
    attribute_clauses,
    camera_positions,
    fetch_hits,
    resolve_cameras,
)
from xueliang.storage import Database
from xueliang.storage.times import as_utc

FEW_PLATES = 20_000  # above this many matched plates the plate ranges are never read one by one
WINDOW_PLATES = 20_000  # the same with a window
SEEK_COST = 8  # one plate range costs about this many index entries read (a B-tree descent)
SAMPLE_PLATES = 64  # matched plates whose sightings are counted to estimate the hits
PROBE = 8_000  # index entries a pattern's walk reads before it is judged too rare to walk
MAX_WALK = 40_000  # index entries a walk may be expected to read (from the probe's share of hits)
_STREAM = 2_000


@dataclass(frozen=True)
class PlatePage:
    """One page of a plate search: hits by (first_seen, id), the total (exact or estimated)."""

    pattern: str
    max_edits: int
    hits: tuple[Hit, ...]
    total: int
    total_is_estimate: bool
    method: str  # exact | plates | scan (several, joined by '+', for a ranked page)
    more: bool  # hits after this page exist
    next: Cursor | None = None  # where the next page starts (None: this is the last page)

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "max_edits": self.max_edits,
            "count": len(self.hits),
            "total": self.total,
            "total_is_estimate": self.total_is_estimate,
            "method": self.method,
            "more": self.more,
            "next": None if self.next is None else self.next.text(),
            "hits": [h.to_json() for h in self.hits],
        }


Key = tuple[dt.datetime, int]


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the score band (1.0 exact, 0.5 one off, 0.4 partial; the time-ordered search
    uses 1.0 throughout) and the last hit's (first_seen, sighting id). As text:
    ``SCORE~ISO-TIME~ID``, the form the CLI's ``--after`` and the web's ``after`` take."""

    score: float
    first_seen: dt.datetime
    sighting_id: int

    def text(self) -> str:
        return f"{self.score:g}~{as_utc(self.first_seen).isoformat()}~{self.sighting_id}"

    @property
    def key(self) -> Key:
        return as_utc(self.first_seen), self.sighting_id

    @classmethod
    def parse(cls, value: str, *, source: str = "--after") -> Cursor:
        parts = value.strip().split("~")
        try:
            if len(parts) != 3:
                raise ValueError
            score, at, sid = float(parts[0]), dt.datetime.fromisoformat(parts[1]), int(parts[2])
            if score not in _BANDS or at.tzinfo is None or not 1 <= sid <= 2**63 - 1:
                raise ValueError
        except (ValueError, OverflowError):
            raise InputError(
                source,
                f"expected the next-page cursor a search printed (SCORE~ISO-TIME~ID, e.g. "
                f"1~2024-05-01T08:00:00+00:00~123), got {value!r}",
            ) from None
        return cls(score, as_utc(at), sid)


_BANDS = (EXACT_SCORE, ONE_OFF_SCORE, PARTIAL_SCORE)


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


def _time_bounds(window: TimeWindow | None, after: Key | None, until: dt.datetime | None = None) -> list[Any]:
    """The window and paging as ONE lower and ONE upper bound on ``first_seen`` (SQLite picks one bound
    of each side for an index range: given two, it may walk to the window's end, not to ``until``)."""
    lows = [] if window is None else [window.start - MAX_TRACK]
    highs = [] if window is None else [window.end]
    if after is not None:
        lows.append(after[0])
    c: list[Any] = []
    if lows:
        c.append(SightingRow.first_seen >= max(lows))
    if until is not None and (not highs or until <= highs[0]):
        c.append(SightingRow.first_seen < until)
    elif highs:
        c.append(SightingRow.first_seen <= highs[0])
    if window is not None:
        c.append(SightingRow.last_seen >= window.start)
    return c


def _by_plates(
    conn: Connection,
    plates: Sequence[str],
    window: TimeWindow | None,
    after: Key | None,
    limit: int,
    extra: Sequence[Any],
) -> tuple[list[Any], int]:
    """The first ``limit + 1`` (id, first_seen) of these plates' sightings after ``after``, and how many
    in all: one range of ``(plate_text, first_seen)`` per plate, ordered, limited and counted in SQL."""
    if not plates:
        return [], 0
    where = [SightingRow.plate_text.in_(list(plates)), *_time_bounds(window, None), *extra]
    if after is None:  # the count over every match rides on the page query (one pass over the plate ranges)
        page = select(SightingRow.id, SightingRow.first_seen, func.count().over().label("n")).where(*where)
        first = conn.execute(page.order_by(SightingRow.first_seen, SightingRow.id).limit(limit + 1)).all()
        return list(first), (first[0].n if first else 0)
    t, i = after
    later = select(SightingRow.id, SightingRow.first_seen).where(
        *where, or_(SightingRow.first_seen > t, and_(SightingRow.first_seen == t, SightingRow.id > i))
    )
    total = int(conn.execute(select(func.count()).select_from(SightingRow).where(*where)).scalar_one())
    rows = conn.execute(later.order_by(SightingRow.first_seen, SightingRow.id).limit(limit + 1)).all()
    return list(rows), total


@dataclass(frozen=True)
class _Scope:
    """What every walk of one page's query shares: the connection, the pattern, the window and the other
    filters as SQL."""

    conn: Connection
    pattern: PlatePattern
    window: TimeWindow | None
    extra: Sequence[Any]


def _scan(
    scope: _Scope,
    keep: Callable[[str], bool],
    after: Key | None,
    limit: int,
    until: dt.datetime | None = None,
    count_all: bool = False,
) -> tuple[list[Any], bool]:
    """Walk the sightings in time order (before ``until`` when given) until ``limit + 1`` hits (ties on
    first_seen kept together); returns them (in walk order) and whether the walk reached the end of its
    range. ``keep`` says whether a plate the pattern's ``LIKE`` let through is a hit (membership in the
    matched plate set, or the score). Rows come in small batches: a large fetch would make SQLite walk
    on past the page for hits nobody reads."""
    likes = or_(*(SightingRow.plate_text.like(p) for p in scope.pattern.like_patterns()))
    stmt = select(SightingRow.id, SightingRow.first_seen, SightingRow.plate_text).where(
        likes, *_time_bounds(scope.window, after, until), *scope.extra
    )
    stmt = stmt.order_by(SightingRow.first_seen).execution_options(
        stream_results=True, yield_per=min(_STREAM, limit + 2)
    )
    hits: list[Any] = []
    result = scope.conn.execute(stmt)
    try:
        for r in _after(result, after):
            if len(hits) > limit and not count_all and r.first_seen != hits[-1].first_seen:
                return hits, False
            if keep(r.plate_text):
                hits.append(r)
    finally:
        result.close()
    return hits, True


def _cut(conn: Connection, window: TimeWindow | None, after: Key | None, n: int) -> dt.datetime | None:
    """The first_seen of the ``n``-th sighting in range (after ``after``), from the time index alone:
    the end of a walk of about ``n`` index entries; None when fewer are left."""
    stmt = select(SightingRow.first_seen)
    if window is not None:
        stmt = stmt.where(SightingRow.first_seen >= window.start - MAX_TRACK, SightingRow.first_seen <= window.end)
    if after is not None:
        stmt = stmt.where(SightingRow.first_seen >= after[0])
    found = conn.execute(stmt.order_by(SightingRow.first_seen).offset(n).limit(1)).scalar()
    return None if found is None else as_utc(found)


Span = tuple[dt.datetime, dt.datetime]


def _span(conn: Connection) -> Span | None:
    """The times the sightings span (each bound one index lookup: SQLite answers a lone
    ``min()``/``max()`` from the index, not several in one SELECT)."""
    lo = conn.execute(select(func.min(SightingRow.first_seen))).scalar()
    hi = conn.execute(select(func.max(SightingRow.first_seen))).scalar()
    return None if lo is None or hi is None else (as_utc(lo), as_utc(hi))


def _in_range(whole: Span | None, window: TimeWindow | None) -> Span | None:
    """The part of ``whole`` the window can reach (sightings starting up to MAX_TRACK before it)."""
    if whole is None:
        return None
    lo, hi = whole
    if window is not None:
        lo, hi = max(lo, window.start - MAX_TRACK), min(hi, window.end)
    return (lo, hi) if hi > lo else None


def _estimate(hits: list[Any], span: Span | None, after: Key | None, walked_to: dt.datetime | None = None) -> int:
    """Hits in the whole range, from those found in the part walked (up to the last hit, or
    ``walked_to`` when the walk ran to that bound): sightings are spread over time roughly evenly, so
    the count scales with the time span (found ÷ span walked × span in range)."""
    if span is None or not hits:
        return len(hits)
    start = span[0] if after is None else max(span[0], after[0])
    end = as_utc(hits[-1].first_seen) if walked_to is None else walked_to
    walked = (end - start).total_seconds()
    if walked <= 0:
        return len(hits)
    return max(len(hits), round(len(hits) * (span[1] - start).total_seconds() / walked))


def _walk_is_cheaper(
    conn: Connection,
    plates: Sequence[str],
    window: TimeWindow | None,
    whole: Span | None,
    limit: int,
) -> bool:
    """Whether walking the time index costs fewer index entries than reading each plate's range.

    Hits are estimated from a sample of the plates (their sightings counted through the
    ``(plate_text, first_seen)`` index, the window's ``first_seen`` bounds applied); the sightings in
    range from the largest id and the share of the time span in range."""
    span = _in_range(whole, window)
    if not plates or whole is None or span is None:
        return False
    if len(plates) > (FEW_PLATES if window is None else WINDOW_PLATES):
        return True
    step = max(1, len(plates) // SAMPLE_PLATES)
    sample = list(plates[::step])
    where: list[Any] = [SightingRow.plate_text.in_(sample)]
    if window is not None:
        where += [SightingRow.first_seen >= window.start - MAX_TRACK, SightingRow.first_seen <= window.end]
    counted = int(conn.execute(select(func.count()).select_from(SightingRow).where(*where)).scalar_one())
    hits = counted * len(plates) / len(sample)
    rows = float(conn.execute(select(func.max(SightingRow.id))).scalar() or 0)
    if window is not None:
        rows = rows * (span[1] - span[0]).total_seconds() / max(1.0, (whole[1] - whole[0]).total_seconds())
    walk = (limit + 1) * rows / max(hits, 1.0)
    return walk < SEEK_COST * len(plates) + hits


def _restriction(filters: SightingQuery | None, positions: dict[str, tuple[float, float]]) -> list[Any] | None:
    """The other filters as SQL clauses (cameras resolved from the registry); None when no camera
    qualifies (nothing can match)."""
    if filters is None:
        return []
    rest = dataclasses.replace(filters, plate=None, plates=None, window=None)
    extra: list[Any] = attribute_clauses(rest)
    cams = resolve_cameras(rest, positions)
    if cams == ():
        return None
    if cams is not None:
        extra.append(SightingRow.camera_id.in_(cams))
    return extra


class _Lookups:
    """What a page's ways read besides the sightings, each once per page and only when a way needs it (a
    walk that fills its page in the probe never asks for the matched plates; an exact plate never asks
    for the time span)."""

    def __init__(self, conn: Connection, db: Database, pattern: PlatePattern) -> None:
        self.conn, self.db, self.pattern = conn, db, pattern

    @functools.cached_property
    def partials(self) -> list[str]:
        return _partials(self.conn, self.pattern)

    @functools.cached_property
    def plates(self) -> list[str] | None:
        """Every plate the pattern matches (stored partial plates included), or None when the pattern is
        too loose for the gram index."""
        if _is_whole(self.pattern):
            return [self.pattern.text, *self.partials]
        found = candidate_plates(self.db, self.pattern)
        return None if found.plates is None else [*found.plates, *self.partials]

    @functools.cached_property
    def span(self) -> Span | None:
        return _span(self.conn)


def _walk(
    scope: _Scope,
    keep: Callable[[str], bool],
    after: Key | None,
    limit: int,
    span: Span | None,
    hits: list[Any],
    since: Key | None,
) -> tuple[list[Any], int, bool, str]:
    """The rest of a walk from ``after`` (the probe found ``hits`` since ``since``): the page sorted,
    the total or estimate."""
    found, done = _scan(scope, keep, after, limit - len(hits))
    walked = [*hits, *found]
    rows = sorted(walked, key=lambda r: (as_utc(r.first_seen), r.id))
    return rows, (len(rows) if done else _estimate(walked, span, since)), not done, "scan"


def _page(
    conn: Connection,
    pattern: PlatePattern,
    looked: _Lookups,
    band: float | None,
    window: TimeWindow | None,
    after: Key | None,
    limit: int,
    extra: Sequence[Any],
    probe_only: bool = False,
) -> tuple[list[Any], int, bool, str]:
    """Rows (id, first_seen) of one page (``limit + 1`` at most, sorted), the total, whether it is an
    estimate, and the way taken; ``band`` keeps only hits of that score. ``probe_only``: only the
    total is wanted (a ranked page already full), from the probe walk alone.

    A pattern that is not a whole plate first walks :data:`PROBE` index entries of the time index: a
    common pattern (``晋M*12*``, 1 in 80 sightings) fills its page there, without looking up its
    thousands of plates. Otherwise the share of hits in the probe says how far the walk would go on;
    beyond :data:`MAX_WALK` entries the matched plates are read range by range instead (or walked
    with a plate-set test, when that is cheaper: :func:`_walk_is_cheaper`)."""

    def in_band(plate: str | None) -> bool:
        score = pattern.score(plate)
        return score > 0 if band is None else score == band

    if _is_whole(pattern):
        exact = [p for p in looked.plates or [] if in_band(p)]
        rows, total = _by_plates(conn, exact, window, after, limit, extra)
        return rows, total, False, "exact"
    whole = looked.span
    span = _in_range(whole, window)
    cut = _cut(conn, window, after, PROBE)
    # a range shorter than the probe is walked to its end: the total is then exact
    scope = _Scope(conn, pattern, window, extra)
    hits, done = _scan(scope, in_band, after, limit, until=cut, count_all=cut is None or probe_only)
    if len(hits) > limit or cut is None or probe_only:  # the page is full, or the probe walked the whole range
        rows = sorted(hits, key=lambda r: (as_utc(r.first_seen), r.id))
        counted = done and cut is None
        walked_to = cut if done else None  # the probe ran to its bound: the whole probe was walked
        total = len(rows) if counted else _estimate(hits, span, after, walked_to)
        return rows[: limit + 1], total, not counted, "scan"
    # the walk goes on from the probe's end (every sighting at ``cut`` included, none before ``after``)
    rest = (cut, 0) if after is None else max((cut, 0), after)
    if hits and PROBE * (limit + 1) / len(hits) <= MAX_WALK:  # no hit: the share is unknown, maybe 0
        return _walk(scope, in_band, rest, limit, span, hits, after)
    found = looked.plates
    plates = None if found is None else [p for p in found if band is None or in_band(p)]
    if plates is not None and not _walk_is_cheaper(conn, plates, window, whole, limit):
        rows, total = _by_plates(conn, plates, window, after, limit, extra)
        return rows, total, False, "plates"
    keep: Callable[[str], bool] = in_band if plates is None else set(plates).__contains__
    return _walk(scope, keep, rest, limit, span, hits, after)


def _hits(
    db: Database, pattern: PlatePattern, ids: list[int], positions: dict[str, tuple[float, float]]
) -> tuple[Hit, ...]:
    by_id = fetch_hits(db, ids, positions=positions)
    return tuple(dataclasses.replace(by_id[i], score=pattern.score(by_id[i].plate_text)) for i in ids)


def _paged(
    db: Database,
    pattern: PlatePattern,
    bands: Sequence[float | None],
    after: tuple[float | None, Key] | None,
    window: TimeWindow | None,
    limit: int,
    positions: dict[str, tuple[float, float]] | None,
    filters: SightingQuery | None,
) -> PlatePage:
    """One page over ``bands`` in turn (None: every match), starting in band ``after[0]`` after its key."""
    if limit < 1:
        raise ValueError(f"limit: expected a positive number, got {limit}")
    positions = camera_positions(db) if positions is None else positions
    extra = _restriction(filters, positions)
    if extra is None:
        return PlatePage(pattern.text, pattern.max_edits, (), 0, False, "none", False)
    picked: list[tuple[float | None, Any]] = []
    total, estimate, methods, unsure = 0, False, [], False
    with db.engine.connect() as conn:
        looked = _Lookups(conn, db, pattern)
        if len(bands) > 1:  # a band that cannot have hits is not searched
            possible = {EXACT_SCORE, ONE_OFF_SCORE if pattern.max_edits else EXACT_SCORE}
            bands = [b for b in bands if b in possible or (b == PARTIAL_SCORE and looked.partials)]
        for band in bands:
            band_after = after[1] if after is not None and band == after[0] else None
            want = max(0, limit - len(picked))
            # once the page is full, a later band only adds to the total (from its probe walk)
            rows, n, est, method = _page(
                conn, pattern, looked, band, window, band_after, max(1, want), extra, probe_only=want == 0
            )
            picked += [(band, r) for r in rows[: want + 1]]
            total, estimate = total + n, estimate or est
            methods.append(method)
            unsure = unsure or (want == 0 and est and not rows)  # its hits may lie past the probe
    more = len(picked) > limit or unsure
    picked = picked[:limit]
    hits_out = _hits(db, pattern, [r.id for _, r in picked], positions)
    last = hits_out[-1] if more and hits_out else None
    band_of_last = EXACT_SCORE if not picked or picked[-1][0] is None else picked[-1][0]
    nxt = None if last is None else Cursor(band_of_last, last.first_seen, last.sighting_id)
    if after is None and not estimate:
        total = max(total, len(hits_out))
    return PlatePage(pattern.text, pattern.max_edits, hits_out, total, estimate, "+".join(methods), more, nxt)


def plate_search(
    db: Database,
    pattern: PlatePattern,
    *,
    window: TimeWindow | None = None,
    limit: int = 50,
    after: Key | Cursor | None = None,
    ranked: bool = False,
    positions: dict[str, tuple[float, float]] | None = None,
    filters: SightingQuery | None = None,
) -> PlatePage:
    """One page of ``pattern``'s sightings in time order (see the module text for the way each query
    takes); ``filters`` (its attributes and cameras; not its plate or window) narrow it.

    ``ranked``: by score, then time: exact matches first, then one character off, then partial plates
    (as :func:`~xueliang.investigate.search.run_query` ranks with ``sort="score"``), each band paged
    in time order; the total counts every band (an estimate if any band's is). ``after``: the previous
    page's ``next`` (a :class:`Cursor`), or in time order its last (first_seen, id) as well."""
    start: tuple[float | None, Key] | None
    if ranked:
        cursor = after if after is None or isinstance(after, Cursor) else Cursor(EXACT_SCORE, *after)
        bands: list[float | None] = [b for b in _BANDS if cursor is None or b <= cursor.score]
        start = None if cursor is None else (cursor.score, cursor.key)
    else:
        key = after.key if isinstance(after, Cursor) else after
        bands = [None]
        start = None if key is None else (None, (as_utc(key[0]), int(key[1])))
    return _paged(db, pattern, bands, start, window, limit, positions, filters)


__all__ = ["FEW_PLATES", "Cursor", "PlatePage", "plate_search"]
