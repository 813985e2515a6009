"""The investigator pages' view of sightings, through the search API (``xueliang.investigate.search``).

Filters: colour, vehicle type, plate state, plate pattern (``晋M*12*``; a bare prefix matches plates
starting with it, one character off ranked below), camera, time window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from vision.tables import SightingPointRow, SightingRow
from xueliang.errors import NotFoundError
from xueliang.storage import Database
from xueliang.storage.times import as_utc
from xueliang.web.tables import MarkRow


class SightingQuery(BaseModel):
    """Search filters; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    colour: str | None = None
    vehicle_type: str | None = None
    plate_state: str | None = None
    plate_prefix: str | None = Field(default=None, max_length=32)
    camera_id: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    limit: int = Field(default=60, ge=1, le=500)

    def active(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump(exclude={"limit"}).items() if v not in (None, "")}


@dataclass(frozen=True)
class Mark:
    mark: str
    reason: str
    actor: str
    at: dt.datetime


@dataclass(frozen=True)
class Sighting:
    id: int
    camera_id: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    colour: str
    colour_confidence: float
    vehicle_type: str
    vehicle_type_confidence: float
    plate_state: str
    plate_text: str | None
    plate_text_confidence: float | None
    direction: str
    has_thumbnail: bool
    has_frame: bool
    mark: Mark | None


@dataclass(frozen=True)
class TrackPoint:
    frame: int
    at: dt.datetime
    cx: float
    cy: float
    x1: float
    y1: float
    x2: float
    y2: float


_utc = as_utc


def _latest_marks(db: Database, ids: list[int]) -> dict[int, Mark]:
    if not ids:
        return {}
    with db.sessions() as s:
        rows = s.scalars(select(MarkRow).where(MarkRow.sighting_id.in_(ids)).order_by(MarkRow.id)).all()
    return {r.sighting_id: Mark(mark=r.mark, reason=r.reason, actor=r.actor, at=_utc(r.at)) for r in rows}


def _to_sighting(r: SightingRow, mark: Mark | None) -> Sighting:
    return Sighting(
        id=r.id,
        camera_id=r.camera_id,
        first_seen=_utc(r.first_seen),
        last_seen=_utc(r.last_seen),
        colour=r.colour,
        colour_confidence=r.colour_confidence,
        vehicle_type=r.vehicle_type,
        vehicle_type_confidence=r.vehicle_type_confidence,
        plate_state=r.plate_state,
        plate_text=r.plate_text,
        plate_text_confidence=r.plate_text_confidence,
        direction=r.direction,
        has_thumbnail=bool(r.thumbnail_path),
        has_frame=bool(r.frame_path),
        mark=mark,
    )


def search_sightings(db: Database, q: SightingQuery) -> list[Sighting]:
    """Sightings matching every given filter, in the order the search API ranks them (newest first)."""
    from xueliang.investigate.plates_match import parse_plate_pattern
    from xueliang.investigate.search import SightingQuery as ApiQuery
    from xueliang.investigate.search import TimeWindow, run_query

    plate = None
    if q.plate_prefix:
        text = q.plate_prefix.strip().upper()
        plate = parse_plate_pattern(text if any(c in text for c in "*?") else text + "*")
    window = None
    if q.start or q.end:
        window = TimeWindow(_utc(q.start or dt.datetime(1970, 1, 1)), _utc(q.end or dt.datetime(2999, 1, 1)))
    api = ApiQuery(
        vehicle_types=(q.vehicle_type,) if q.vehicle_type else (),
        colours=(q.colour,) if q.colour else (),
        plate_states=(q.plate_state,) if q.plate_state else (),
        plate=plate,
        window=window,
        camera_ids=(q.camera_id,) if q.camera_id else (),
        sort="score" if plate is not None else "time",
        limit=q.limit,
    )
    ids = [h.sighting_id for h in run_query(db, api).hits]
    with db.sessions() as s:
        rows = {r.id: r for r in s.scalars(select(SightingRow).where(SightingRow.id.in_(ids)))}
    marks = _latest_marks(db, ids)
    return [_to_sighting(rows[i], marks.get(i)) for i in ids if i in rows]


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


def get_sighting(db: Database, sighting_id: int) -> tuple[Sighting, list[TrackPoint]]:
    with db.sessions() as s:
        row = s.get(SightingRow, sighting_id)
        if row is None:
            raise NotFoundError(f"sighting {sighting_id} not found")
        pts = s.scalars(
            select(SightingPointRow).where(SightingPointRow.sighting_id == sighting_id).order_by(SightingPointRow.frame)
        ).all()
        track = [
            TrackPoint(
                frame=p.frame,
                at=_utc(p.at),
                cx=(p.x1 + p.x2) / 2,
                cy=(p.y1 + p.y2) / 2,
                x1=p.x1,
                y1=p.y1,
                x2=p.x2,
                y2=p.y2,
            )
            for p in pts
        ]
        sighting = _to_sighting(row, _latest_marks(db, [row.id]).get(row.id))
    return sighting, track


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


def add_mark(db: Database, sighting_id: int, mark: str, reason: str, actor: str) -> Mark:
    with db.transaction() as s:
        if s.get(SightingRow, sighting_id) is None:
            raise NotFoundError(f"sighting {sighting_id} not found")
        now = dt.datetime.now(dt.UTC)
        s.add(MarkRow(sighting_id=sighting_id, mark=mark, reason=reason, actor=actor, at=now))
    return Mark(mark=mark, reason=reason, actor=actor, at=now)
