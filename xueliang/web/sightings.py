"""The investigator pages' view of sightings: the search API's hits (``xueliang.investigate.search``) with marks.

Filters: colour, vehicle type, plate state, plate pattern (``晋M*12*``; a bare prefix matches plates
starting with it, one character off ranked below), camera, time window.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from vision.tables import SightingRow
from xueliang.errors import InputError, NotFoundError
from xueliang.investigate.search import Hit, SightingDetail, SightingQuery, TimeWindow, run_query, sighting_detail
from xueliang.storage import Database
from xueliang.storage.times import as_utc

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class SearchForm(BaseModel):
    """The search page's filters (query string); unknown keys are rejected. :meth:`to_query` gives the
    search API's :class:`~xueliang.investigate.search.SightingQuery`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    colour: str | None = None
    vehicle_type: str | None = None
    plate_state: str | None = None
    plate_prefix: str | None = Field(default=None, max_length=32)
    camera_id: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    limit: int = Field(default=60, ge=1, le=500)
    #: with a plate: the cursor of the next page (``SCORE~ISO-TIME~ID``, from the previous page)
    after: str | None = Field(default=None, max_length=80)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _iso_only(cls, v: object) -> object:
        """An ISO 8601 date and time, not a number of seconds (which pydantic would take as a Unix time)."""
        if v is None or isinstance(v, dt.datetime):
            return v
        if not isinstance(v, str) or not ISO_DATE.match(v.strip()):
            raise ValueError(f"expected an ISO 8601 time such as 2026-11-20T08:00:00Z, got {v!r}")
        return v.strip()

    @field_validator("start", "end")
    @classmethod
    def _in_utc_range(cls, v: dt.datetime | None) -> dt.datetime | None:
        """A time that exists in UTC between the years 1900 and 2999 (``0001-01-01T00:00:00+01:00`` does not)."""
        if v is None:
            return None
        try:
            u = as_utc(v)
        except OverflowError:
            u = None
        if u is None or not 1900 <= u.year <= 2999:
            raise ValueError(f"expected a time between 1900 and 2999 UTC, got {v.isoformat()}")
        return u

    def active(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump(exclude={"limit"}).items() if v not in (None, "")}

    def to_query(self) -> SightingQuery:
        """A bare plate prefix matches plates starting with it (ranked by score); newest first otherwise."""
        from xueliang.investigate.plates_match import parse_plate_pattern

        plate = None
        if self.plate_prefix:
            text = self.plate_prefix.strip().upper()
            plate = parse_plate_pattern(text if any(c in text for c in "*?") else text + "*")
        window = None
        if self.start or self.end:
            window = TimeWindow(self.start or dt.datetime(1970, 1, 1), self.end or dt.datetime(2999, 1, 1))
        return SightingQuery(
            vehicle_types=(self.vehicle_type,) if self.vehicle_type else (),
            colours=(self.colour,) if self.colour else (),
            plate_states=(self.plate_state,) if self.plate_state else (),
            plate=plate,
            window=window,
            camera_ids=(self.camera_id,) if self.camera_id else (),
            sort="score" if plate is not None else "time",
            limit=self.limit,
        )


WEB_CASE = "web"  # the review-log case of browser marks made without naming a case


@dataclass(frozen=True)
class Mark:
    """The latest keep/eliminate decision on a sighting in the per-case review log (``search_reviews``)."""

    mark: str
    reason: str
    actor: str
    at: dt.datetime
    case_id: str


@dataclass(frozen=True)
class MarkedHit:
    """A search hit with the investigator's latest keep/eliminate mark."""

    hit: Hit
    mark: Mark | None

    @property
    def id(self) -> int:
        return self.hit.sighting_id

    @property
    def has_thumbnail(self) -> bool:
        return bool(self.hit.thumbnail_path)

    def to_json(self) -> dict[str, Any]:
        """The hit's JSON without the stored thumbnail path (``thumbnail_url`` serves it), with ``id``,
        ``has_thumbnail`` and ``mark``."""
        d = {k: v for k, v in self.hit.to_json().items() if k != "thumbnail_path"}
        return (
            {"id": self.id}
            | d
            | {
                "has_thumbnail": self.has_thumbnail,
                "thumbnail_url": f"/media/sightings/{self.id}/thumbnail" if self.has_thumbnail else None,
                "mark": None if self.mark is None else asdict(self.mark) | {"at": self.mark.at.isoformat()},
            }
        )


def _latest_marks(db: Database, ids: list[int]) -> dict[int, Mark]:
    """The latest decision per sighting over every case of the review log."""
    from xueliang.investigate.tables import ReviewRow

    if not ids:
        return {}
    with db.sessions() as s:
        rows = s.scalars(select(ReviewRow).where(ReviewRow.sighting_id.in_(ids)).order_by(ReviewRow.id)).all()
    return {
        r.sighting_id: Mark(mark=r.decision, reason=r.reason, actor=r.actor, at=r.at, case_id=r.case_id) for r in rows
    }


@dataclass(frozen=True)
class SightingsPage:
    """One page of the search page's results: the hits with marks, the total (or an estimate) and the
    cursor of the next page (a plate search is paged; other searches give their first ``limit``)."""

    hits: list[MarkedHit]
    total: int
    total_is_estimate: bool
    next: str | None

    def next_query(self, form: SearchForm) -> dict[str, str] | None:
        """The query string of the next page: the same filters with ``after`` set; None on the last page."""
        if self.next is None:
            return None
        return form.active() | {"limit": str(form.limit), "after": self.next}


def search_sightings(db: Database, form: SearchForm) -> SightingsPage:
    """Sightings matching every given filter, with their marks: a plate pattern pages through
    :func:`~xueliang.investigate.plate_search.plate_search` with ``ranked=True`` (exact matches first, then one off,
    then partial plates, each by time); other searches newest last, the first ``limit``."""
    from xueliang.investigate.plate_search import Cursor, plate_search

    q = form.to_query()
    if q.plate is not None:
        after = None if form.after is None else Cursor.parse(form.after, source="after")
        page = plate_search(db, q.plate, window=q.window, limit=q.limit, after=after, ranked=True, filters=q)
        hits, total, estimate = list(page.hits), page.total, page.total_is_estimate
        nxt = None if page.next is None else page.next.text()
    else:
        if form.after is not None:
            raise InputError("after", "expected it with a plate (the next page of a plate search), got no plate")
        r = run_query(db, q)
        hits, total, estimate, nxt = list(r.hits), len(r.hits), r.truncated, None
    marks = _latest_marks(db, [h.sighting_id for h in hits])
    return SightingsPage([MarkedHit(h, marks.get(h.sighting_id)) for h in hits], total, estimate, nxt)


def facets(db: Database) -> dict[str, list[str]]:
    """Values present in the index, for the filter drop-downs."""
    out: dict[str, list[str]] = {}
    with db.sessions() as s:
        for name, col in (
            ("colour", SightingRow.colour),
            ("vehicle_type", SightingRow.vehicle_type),
            ("plate_state", SightingRow.plate_state),
            ("camera_id", SightingRow.camera_id),
        ):
            out[name] = sorted(v for v in s.scalars(select(col).distinct()) if v)
    return out


def get_sighting(db: Database, sighting_id: int) -> tuple[MarkedHit, SightingDetail]:
    """The sighting with its mark, and its detail (track, video size); NotFoundError naming the id."""
    detail = sighting_detail(db, sighting_id)
    return MarkedHit(detail.hit, _latest_marks(db, [sighting_id]).get(sighting_id)), detail


def check_sighting(db: Database, sighting_id: int) -> None:
    """NotFoundError (404 in the app) naming the id when no sighting has it."""
    with db.sessions() as s:
        if s.scalar(select(SightingRow.id).where(SightingRow.id == sighting_id)) is None:
            raise NotFoundError(f"sighting {sighting_id} not found")


def media_path(db: Database, sighting_id: int, kind: str) -> str | None:
    """The stored thumbnail or frame path of a sighting (relative to the media dir, or absolute)."""
    with db.sessions() as s:
        row = s.get(SightingRow, sighting_id)
        if row is None:
            raise NotFoundError(f"sighting {sighting_id} not found")
        return row.thumbnail_path if kind == "thumbnail" else row.frame_path


def add_mark(db: Database, sighting_id: int, mark: str, reason: str, actor: str, case_id: str = WEB_CASE) -> Mark:
    """Append the decision to the per-case review log (the one ``xueliang review --case`` keeps); the case
    is created when new."""
    from xueliang.investigate.review import review
    from xueliang.investigate.search import ensure_case

    check_sighting(db, sighting_id)
    ensure_case(db, case_id, actor=actor, create=True)
    e = review(db, case_id=case_id, sighting_id=sighting_id, decision=mark, reason=reason, actor=actor)
    return Mark(mark=e.decision, reason=e.reason, actor=e.actor, at=e.at, case_id=e.case_id)
