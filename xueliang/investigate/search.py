"""Investigator search over indexed sightings: attribute, time, camera and place filters.

The library behind ``xueliang search``. Everything is parameterised SQL through SQLAlchemy Core
(no string is ever spliced into SQL) and read-only on ``sightings``; each search appends one row to
the audit log and, with ``case_id``, one row to the case's query log (what found the candidates).

Places: cameras are located through the registry (``cameras.lon/lat``); distances are great-circle
metres (haversine on a 6,371,008.8 m sphere; at the radii of a scene, < 0.5 % from the local UTM
distance).

Time windows: a sighting is in ``[from, to]`` when its track overlaps the window, i.e.
``first_seen <= to`` and ``last_seen >= from``; to keep the query on the ``first_seen`` indexes the
search also bounds ``first_seen >= from - MAX_TRACK`` (10 minutes): a vehicle parked in view for
longer than that before the window opened is not found by its window.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy import ColumnElement, and_, or_, select

from vision.tables import SightingPointRow, SightingRow, VideoRow
from vision.types import TrackPoint
from xueliang.errors import InputError, NotFoundError
from xueliang.investigate.plates_match import PARTIAL_LIKE, PlatePattern
from xueliang.investigate.tables import CaseQueryRow, SearchCaseRow
from xueliang.storage import CameraRow, Database
from xueliang.storage.collation import code_point
from xueliang.storage.database import check_actor, current_user
from xueliang.storage.times import as_utc, parse_iso

MAX_TRACK = dt.timedelta(minutes=10)
EARTH_RADIUS_M = 6_371_008.8
SortKey = Literal["time", "score"]


utc = as_utc  # aware UTC; SQLite gives naive datetimes that are UTC


def parse_time(value: str, *, source: str) -> dt.datetime:
    """ISO 8601; no offset = UTC."""
    return parse_iso(value, source=source)


@dataclass(frozen=True)
class Place:
    """A point and radius in metres (> 0)."""

    lon: float
    lat: float
    metres: float

    def __post_init__(self) -> None:
        if not (-180.0 <= self.lon <= 180.0 and -90.0 <= self.lat <= 90.0):
            raise InputError("place", f"expected lon in -180..180 and lat in -90..90, got {self.lon},{self.lat}")
        if not (self.metres > 0 and math.isfinite(self.metres)):
            raise InputError("place", f"expected a radius > 0 metres, got {self.metres:g}")

    @classmethod
    def parse(cls, value: str, *, source: str = "--near") -> Place:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 3:
            raise InputError(source, f"expected LON,LAT,METRES, got {value!r}")
        try:
            lon, lat, metres = (float(p) for p in parts)
        except ValueError as exc:
            raise InputError(source, f"expected three numbers LON,LAT,METRES, got {value!r}") from exc
        try:
            return cls(lon, lat, metres)
        except InputError as exc:
            raise InputError(source, exc.detail) from exc


@dataclass(frozen=True)
class TimeWindow:
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start))
        object.__setattr__(self, "end", utc(self.end))
        if self.end < self.start:
            raise InputError(
                "time window",
                f"expected the end after the start, got {self.start.isoformat()} .. {self.end.isoformat()}",
            )


#: the plate states a sighting can have, and ``hidden`` = the investigator's "no readable plate"
PLATE_STATES = ("visible", "covered", "absent", "unknown")
HIDDEN = ("covered", "absent")
PLATE_STATE_CHOICES = (*PLATE_STATES, "hidden")


def plate_states(values: tuple[str, ...], source: str = "--plate-state") -> tuple[str, ...]:
    """Validated plate states, ``hidden`` expanded to covered and absent (sorted, no repeats)."""
    out: set[str] = set()
    for v in values:
        key = v.strip().lower()
        if key not in PLATE_STATE_CHOICES:
            raise InputError(
                source,
                f"expected one of {', '.join(PLATE_STATES)}, hidden (= covered or absent), got {v!r}",
            )
        out.update(HIDDEN if key == "hidden" else (key,))
    return tuple(sorted(out))


@dataclass(frozen=True)
class SightingQuery:
    """Filters of one search; empty tuples and None mean "any"."""

    detector_classes: tuple[str, ...] = ()
    vehicle_types: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    plate_states: tuple[str, ...] = ()
    plate: PlatePattern | None = None
    window: TimeWindow | None = None
    camera_ids: tuple[str, ...] = ()
    near: Place | None = None
    sort: SortKey = "time"
    limit: int = 1000
    # the plates ``plate`` matches, when a plate index found them (narrows the scan to those plates)
    plates: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "plate_states", plate_states(self.plate_states))
        if self.sort not in ("time", "score"):
            raise InputError("--sort", f"expected 'time' or 'score', got {self.sort!r}")
        if self.limit < 1:
            raise InputError("--limit", f"expected a positive number, got {self.limit}")

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("plates")
        d["plate"] = None if self.plate is None else self.plate.text
        d["plate_max_edits"] = None if self.plate is None else self.plate.max_edits
        if self.window is not None:
            d["window"] = {"from": self.window.start.isoformat(), "to": self.window.end.isoformat()}
        return d


@dataclass(frozen=True)
class Hit:
    """One sighting found, with the camera position and the match score (1.0 without plate filter)."""

    sighting_id: int
    video_id: int | None  # None for a checkpoint pass
    camera_id: str
    lon: float
    lat: float
    first_seen: dt.datetime
    last_seen: dt.datetime
    detector_class: str
    vehicle_type: str
    colour: str
    plate_state: str
    plate_text: str | None
    plate_colour: str | None
    direction: str
    thumbnail_path: str | None
    score: float = 1.0
    colour_confidence: float | None = None
    vehicle_type_confidence: float | None = None
    plate_text_confidence: float | None = None
    has_frame: bool = False  # a best full frame is stored (its path stays on the server)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["first_seen"] = self.first_seen.isoformat()
        d["last_seen"] = self.last_seen.isoformat()
        return d


@dataclass(frozen=True)
class SearchResult:
    query: dict[str, Any]
    hits: tuple[Hit, ...]
    truncated: bool = False
    camera_ids: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "count": len(self.hits),
            "truncated": self.truncated,
            "hits": [h.to_json() for h in self.hits],
        }


# --- cameras -------------------------------------------------------------------------------------
def haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    """Great-circle metres between points given as numbers or arrays (either pair; NaN stays NaN)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def camera_positions(db: Database) -> dict[str, tuple[float, float]]:
    with db.sessions() as s:
        return {r.id: (r.lon, r.lat) for r in s.execute(select(CameraRow.id, CameraRow.lon, CameraRow.lat))}


def cameras_near(positions: dict[str, tuple[float, float]], place: Place) -> tuple[str, ...]:
    if not positions:
        return ()
    ids = sorted(positions)
    lon = np.array([positions[i][0] for i in ids])
    lat = np.array([positions[i][1] for i in ids])
    d = haversine_m(lon, lat, place.lon, place.lat)
    return tuple(i for i, di in zip(ids, d, strict=True) if di <= place.metres)


def check_cameras(positions: dict[str, tuple[float, float]], camera_ids: Sequence[str]) -> None:
    unknown = sorted(set(camera_ids) - set(positions))
    if unknown:
        raise NotFoundError(
            f"--camera: expected cameras of the registry, got unknown {', '.join(map(repr, unknown))} "
            f"(import them with `xueliang cameras import`)"
        )


# --- SQL -----------------------------------------------------------------------------------------
#: Columns a Hit takes as they are stored (same names).
_STORED_AS_IS = (
    "video_id",
    "camera_id",
    "detector_class",
    "vehicle_type",
    "colour",
    "plate_state",
    "plate_text",
    "plate_colour",
    "direction",
    "thumbnail_path",
    "colour_confidence",
    "vehicle_type_confidence",
    "plate_text_confidence",
)
HIT_COLUMNS = (
    SightingRow.id,
    SightingRow.first_seen,
    SightingRow.last_seen,
    SightingRow.frame_path,
    *(getattr(SightingRow, name) for name in _STORED_AS_IS),
)


def window_clause(window: TimeWindow) -> ColumnElement[bool]:
    # Aware UTC binds: SQLite's DateTime writes the UTC fields as text (tz dropped, as stored);
    # PostgreSQL compares timestamptz values.
    start, end = window.start, window.end
    return and_(
        SightingRow.first_seen >= start - MAX_TRACK,
        SightingRow.first_seen <= end,
        SightingRow.last_seen >= start,
    )


def attribute_clauses(q: SightingQuery) -> list[ColumnElement[bool]]:
    c: list[ColumnElement[bool]] = []
    for col, values in (
        (SightingRow.detector_class, q.detector_classes),
        (SightingRow.vehicle_type, q.vehicle_types),
        (SightingRow.colour, q.colours),
        (SightingRow.plate_state, q.plate_states),
    ):
        if len(values) == 1:
            c.append(col == values[0])
        elif values:
            c.append(col.in_(values))
    if q.plates is not None:
        c.append(SightingRow.plate_text.in_(q.plates))
    if q.plate is not None:
        c.append(or_(*(SightingRow.plate_text.like(p) for p in q.plate.like_patterns())))
        bounds = q.plate.prefix_range()
        if q.plate.max_edits == 0 and bounds is not None:  # exact with a prefix: an index range
            plate = code_point(SightingRow.plate_text)  # the range holds in code-point order only
            # ... or a partial (half-covered) plate, which score() then checks
            c.append(or_(and_(plate >= bounds[0], plate < bounds[1]), SightingRow.plate_text.like(PARTIAL_LIKE)))
    if q.window is not None:
        c.append(window_clause(q.window))
    return c


def build_select(q: SightingQuery, camera_ids: tuple[str, ...] | None) -> Any:
    """SELECT of the hit columns with every filter as a bound parameter."""
    stmt = select(*HIT_COLUMNS).where(*attribute_clauses(q))
    if camera_ids is not None:
        stmt = stmt.where(SightingRow.camera_id.in_(camera_ids))
    return stmt


def resolve_cameras(q: SightingQuery, positions: dict[str, tuple[float, float]]) -> tuple[str, ...] | None:
    """The camera set the query is restricted to, or None for every camera."""
    if q.camera_ids:
        check_cameras(positions, q.camera_ids)
    chosen: set[str] | None = set(q.camera_ids) if q.camera_ids else None
    if q.near is not None:
        near = set(cameras_near(positions, q.near))
        chosen = near if chosen is None else chosen & near
    return None if chosen is None else tuple(sorted(chosen))


def hits_from_rows(
    rows: Sequence[Any], positions: dict[str, tuple[float, float]], plate: PlatePattern | None
) -> list[Hit]:
    out = []
    for r in rows:
        score = plate.score(r.plate_text) if plate is not None else 1.0
        if plate is not None and score == 0.0:
            continue
        lon, lat = positions.get(r.camera_id, (math.nan, math.nan))
        out.append(
            Hit(
                sighting_id=r.id,
                lon=lon,
                lat=lat,
                first_seen=utc(r.first_seen),
                last_seen=utc(r.last_seen),
                score=score,
                has_frame=bool(r.frame_path),
                **{name: getattr(r, name) for name in _STORED_AS_IS},
            )
        )
    return out


def fetch_hits(
    db: Database, ids: Sequence[int], *, positions: dict[str, tuple[float, float]] | None = None
) -> dict[int, Hit]:
    """The hits of the sightings ``ids`` (unknown ids are absent), by id."""
    positions = camera_positions(db) if positions is None else positions
    out: dict[int, Hit] = {}
    with db.engine.connect() as conn:
        for i in range(0, len(ids), 500):
            rows = conn.execute(select(*HIT_COLUMNS).where(SightingRow.id.in_(ids[i : i + 500]))).all()
            out |= {h.sighting_id: h for h in hits_from_rows(rows, positions, None)}
    return out


def _plate_in_window(conn: Any, q: SightingQuery, cams: tuple[str, ...] | None) -> list[Any]:
    """Plate pattern + window in two steps: candidate ids from the covering index
    ``(first_seen, last_seen, plate_text, camera_id)`` (no table reads for the rows of the window
    that fail the pattern), then the full rows of those ids with the other filters."""
    assert q.plate is not None and q.window is not None
    step1 = select(SightingRow.id).where(
        window_clause(q.window), or_(*(SightingRow.plate_text.like(p) for p in q.plate.like_patterns()))
    )
    if cams is not None:
        step1 = step1.where(SightingRow.camera_id.in_(cams))
    ids = list(conn.execute(step1).scalars())
    rest = SightingQuery(
        detector_classes=q.detector_classes,
        vehicle_types=q.vehicle_types,
        colours=q.colours,
        plate_states=q.plate_states,
    )
    rows: list[Any] = []
    for i in range(0, len(ids), 500):
        rows += conn.execute(build_select(rest, None).where(SightingRow.id.in_(ids[i : i + 500]))).all()
    return rows


def run_query(db: Database, q: SightingQuery, positions: dict[str, tuple[float, float]] | None = None) -> SearchResult:
    """The search itself, without audit (for composition and benchmarks)."""
    positions = camera_positions(db) if positions is None else positions
    cams = resolve_cameras(q, positions)
    if cams == ():
        return SearchResult(query=q.describe(), hits=(), camera_ids=())
    with db.engine.connect() as conn:
        if q.plate is not None and q.window is not None:
            rows = _plate_in_window(conn, q, cams)
        else:
            stmt = build_select(q, cams)
            if q.plate is None:
                stmt = stmt.order_by(SightingRow.first_seen, SightingRow.id).limit(q.limit + 1)
            rows = list(conn.execute(stmt).all())
    hits = hits_from_rows(rows, positions, q.plate)
    if q.sort == "score":
        hits.sort(key=lambda h: (-h.score, h.first_seen, h.sighting_id))
    else:
        hits.sort(key=lambda h: (h.first_seen, h.sighting_id))
    truncated = len(hits) > q.limit
    return SearchResult(query=q.describe(), hits=tuple(hits[: q.limit]), truncated=truncated, camera_ids=cams or ())


def search(db: Database, q: SightingQuery, *, actor: str | None = None, case_id: str | None = None) -> SearchResult:
    """Run ``q``, write the audit row (and the case's query row when ``case_id`` is given)."""
    result = run_query(db, q)
    record(
        db,
        kind="search",
        query=result.query,
        sighting_ids=[h.sighting_id for h in result.hits],
        actor=actor,
        case_id=case_id,
    )
    return result


# --- cases and the audit log ---------------------------------------------------------------------
def ensure_case(db: Database, case_id: str, *, actor: str | None, create: bool) -> SearchCaseRow:
    """The search case ``case_id``; created when ``create`` or when the ledger knows the id."""
    from xueliang.ledger.tables import LedgerCaseRow

    case_id = case_id.strip()
    if not case_id or len(case_id) > 64:
        raise InputError("--case", f"expected a case id of 1-64 characters, got {case_id!r}")
    with db.transaction() as s:
        row = s.get(SearchCaseRow, case_id)
        if row is not None:
            return row
        ledger = s.get(LedgerCaseRow, case_id)
        ledger_id = None if ledger is None else ledger.case_id
        if ledger_id is None and not create:
            raise NotFoundError(
                f"--case: expected a case with searches or in the ledger, got unknown {case_id!r} "
                f"(run a search with --case {case_id} first)"
            )
        row = SearchCaseRow(
            case_id=case_id,
            ledger=ledger_id,
            created_at=dt.datetime.now(dt.UTC),
            created_by=actor or current_user(),
        )
        s.add(row)
        return row


def record(
    db: Database,
    *,
    kind: str,
    query: dict[str, Any],
    sighting_ids: Sequence[int],
    actor: str | None,
    case_id: str | None,
) -> None:
    """Audit row always; case query row when searching for a case (both in one transaction)."""
    who = check_actor(actor or current_user())
    q = dict(query)
    with db.transaction() as s:
        if case_id is not None:
            case = ensure_case(db, case_id, actor=who, create=True)
            q["case"] = case.case_id  # the id as stored (trimmed), so the query links to its case
            s.add(
                CaseQueryRow(
                    case_id=case.case_id,
                    at=dt.datetime.now(dt.UTC),
                    actor=who,
                    kind=kind,
                    query=json.dumps(query, ensure_ascii=False, sort_keys=True, default=str),
                    result_count=len(sighting_ids),
                    sighting_ids=json.dumps(list(sighting_ids)),
                )
            )
        db.audit(actor=who, action=kind, query=q, result_count=len(sighting_ids), session=s)


# --- one sighting ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SightingDetail:
    """One sighting: its hit, the frame size and start of its video, and its boxes in the video
    (the pipeline's :class:`vision.types.TrackPoint`, ``t`` in seconds from the start of the file)."""

    hit: Hit
    video_start: dt.datetime
    width: int
    height: int
    track: tuple[TrackPoint, ...]  # by frame

    def track_json(self) -> list[dict[str, Any]]:
        """Each box with its time (``at``, UTC) and centre (``cx``, ``cy``) in video pixels."""
        return [
            asdict(p)
            | {
                "at": (self.video_start + dt.timedelta(seconds=p.t)).isoformat(),
                "cx": (p.x1 + p.x2) / 2,
                "cy": (p.y1 + p.y2) / 2,
            }
            for p in self.track
        ]


def sighting_detail(db: Database, sighting_id: int) -> SightingDetail:
    """NotFoundError naming the id when no sighting has it."""
    hit = fetch_hits(db, [sighting_id]).get(sighting_id)
    if hit is None:
        raise NotFoundError(f"sighting {sighting_id} not found")
    with db.sessions() as s:
        video = s.get_one(VideoRow, hit.video_id)
        start = utc(video.start_time)
        points = s.scalars(
            select(SightingPointRow).where(SightingPointRow.sighting_id == sighting_id).order_by(SightingPointRow.frame)
        ).all()
        track = tuple(
            TrackPoint(p.frame, (utc(p.at) - start).total_seconds(), p.x1, p.y1, p.x2, p.y2, p.confidence)
            for p in points
        )
        return SightingDetail(hit=hit, video_start=start, width=video.width, height=video.height, track=track)
