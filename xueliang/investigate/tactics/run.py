"""Run a tactic on an engine and shape its rows into a :class:`TacticResult`; audit it for a case.

Each ``run_*`` function checks its parameters (one clear :class:`InputError` each), runs the SQL of
:mod:`.sql` on the engine and groups the rows: one :class:`TacticHit` per plate (or plate and
checkpoint / foothold), with the ids of the passes that justify it. :func:`record_tactic` writes the
audit row and, with a case, the case's query row (as every search does).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xueliang.errors import InputError
from xueliang.investigate.search import haversine_m
from xueliang.investigate.tactics import sql
from xueliang.investigate.tactics.engines import Engine

LOCAL_OFFSET_S = 8 * 3600  # +08:00 unless told otherwise
ALL_TIME = (-(2**53), 2**53)
Measure = int | float | str


@dataclass(frozen=True)
class Window:
    """``[start, end]`` as UTC epoch seconds; None ends mean unbounded."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InputError(
                "time window",
                f"expected the end after the start, got {self.start.isoformat()} .. {self.end.isoformat()}",
            )

    @property
    def t1(self) -> int:
        return ALL_TIME[0] if self.start is None else int(self.start.timestamp())

    @property
    def t2(self) -> int:
        return ALL_TIME[1] if self.end is None else int(self.end.timestamp())

    def describe(self) -> dict[str, str | None]:
        return {
            "from": None if self.start is None else self.start.isoformat(),
            "to": None if self.end is None else self.end.isoformat(),
        }


@dataclass(frozen=True)
class TacticHit:
    """One result: its key (a plate; or plate@checkpoint, or a foothold), measures, justifying passes."""

    key: str
    plates: tuple[str, ...]
    measures: dict[str, Measure]
    pass_ids: tuple[int, ...]
    camera_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "plates": list(self.plates),
            "camera_id": self.camera_id,
            "measures": dict(self.measures),
            "pass_ids": list(self.pass_ids),
        }


@dataclass(frozen=True)
class PassDetail:
    id: int
    plate: str | None
    camera_id: str
    at: dt.datetime
    lon: float | None
    lat: float | None
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "plate": self.plate,
            "camera_id": self.camera_id,
            "at": self.at.isoformat(),
            "lon": self.lon,
            "lat": self.lat,
            "source": self.source,
        }


@dataclass(frozen=True)
class TacticResult:
    tactic: str
    params: dict[str, Any]
    hits: tuple[TacticHit, ...]
    engine: str
    passes: tuple[PassDetail, ...] = field(default=())

    @property
    def pass_ids(self) -> list[int]:
        return sorted({i for h in self.hits for i in h.pass_ids})

    def to_json(self) -> dict[str, Any]:
        return {
            "tactic": self.tactic,
            "params": self.params,
            "engine": self.engine,
            "count": len(self.hits),
            "results": [h.to_json() for h in self.hits],
            "passes": [p.to_json() for p in self.passes],
        }


# Each numeric parameter's option (named in errors) and rule: "count" a whole number > 0, "positive"
# a number > 0, "distance" a number >= 0 (one table for the seven tactics).
PARAMETERS: dict[str, tuple[str, str]] = {
    "max_kmh": ("--max-kmh", "positive"),
    "min_support": ("--min-support", "count"),
    "min_km": ("--min-km", "distance"),
    "seconds": ("--seconds", "count"),
    "k": ("-k", "count"),
    "min_days": ("--min-days", "count"),
    "lookback_days": ("--lookback-days", "positive"),
    "gap_hours": ("--gap-hours", "positive"),
    "min_ends": ("--min-ends", "count"),
    "radius_m": ("--radius", "distance"),
    "min_passes": ("--min-passes", "count"),
    "min_nights": ("--min-nights", "count"),
}


def _check(**values: float) -> None:
    """One clear InputError for the first value breaking its rule in :data:`PARAMETERS`."""
    for key, value in values.items():
        option, rule = PARAMETERS[key]
        finite = math.isfinite(value)
        if rule == "distance" and not (finite and value >= 0):
            raise InputError(option, f"expected a distance >= 0, got {value}")
        if rule != "distance" and (not (finite and value > 0) or (rule == "count" and value != int(value))):
            kind = "a whole number" if rule == "count" else "a number"
            raise InputError(option, f"expected {kind} > 0, got {value}")


def _plate_id(engine: Engine, plate: str) -> int:
    """The plate's id in the ``plates`` relation (-1, matching nothing, for a plate never seen)."""
    rows = engine.query(sql.PLATE_ID, {"plate": plate})
    return int(rows[0][0]) if rows else -1


def _speed_sql(engine: Engine, p: dict[str, Any], max_kmh: float) -> str:
    """sql.CLONED_SPEED (the layout's predecessors) when no two checkpoints are a day's drive apart.

    The longest distance between two checkpoints is bounded by the extent of their positions (along a
    meridian, then a parallel at the latitude where a degree of longitude is longest).
    """
    ((lon1, lon2, lat1, lat2),) = engine.query(sql.EXTENT, p)
    if lon1 is None:
        return sql.CLONED_SPEED
    widest = 1.0 if lat1 <= 0 <= lat2 else max(math.cos(math.radians(lat1)), math.cos(math.radians(lat2)))
    longest_m = 6_371_008.8 * (math.radians(lat2 - lat1) + math.radians(lon2 - lon1) * widest)
    return sql.CLONED_SPEED if longest_m * 3.6 / max_kmh < 86400 else sql.CLONED_SPEED_SORTED


_WINDOW = re.compile(r"\s+AND\s+(?:\w+\.)?t BETWEEN :t1 AND :t2")


def _unbounded(text: str, p: dict[str, Any]) -> str:
    """``text`` without its window conditions when the window is all time (no column read for them)."""
    return _WINDOW.sub("", text) if (p["t1"], p["t2"]) == ALL_TIME else text


def _base(window: Window, offset_s: int) -> dict[str, Any]:
    if not -14 * 3600 <= offset_s <= 14 * 3600:
        raise InputError("--tz", f"expected a UTC offset within +-14 h, got {offset_s} s")
    return {"t1": window.t1, "t2": window.t2, "offset": offset_s}


def cloned_plates(
    engine: Engine,
    *,
    window: Window = Window(),
    max_kmh: float = 150.0,
    min_km: float = 1.0,
    min_support: int = 2,
    attributes: bool = True,
) -> TacticResult:
    """Impossible speed between consecutive passes of a plate, and/or conflicting attributes."""
    _check(max_kmh=max_kmh, min_support=min_support, min_km=min_km)
    p = _base(window, LOCAL_OFFSET_S) | {"max_kmh": float(max_kmh), "min_metres": float(min_km) * 1000.0}
    reasons: dict[str, set[str]] = defaultdict(set)
    ids: dict[str, set[int]] = defaultdict(set)
    top_kmh: dict[str, float] = defaultdict(float)
    for plate, prev_id, pid, metres, seconds in engine.query(_speed_sql(engine, p, max_kmh), p):
        reasons[plate].add("speed")
        ids[plate] |= {int(prev_id), int(pid)}
        kmh = math.inf if seconds == 0 else float(metres) / float(seconds) * 3.6
        top_kmh[plate] = max(top_kmh[plate], kmh)
    conflicts: dict[str, set[str]] = defaultdict(set)
    if attributes:
        for plate, attribute, _value, _n, example in engine.query(
            _unbounded(sql.CLONED_ATTRIBUTES, p), p | {"min_support": int(min_support)}
        ):
            reasons[plate].add("attributes")
            conflicts[plate].add(attribute)
            ids[plate].add(int(example))
    hits = []
    for plate in sorted(reasons):
        m: dict[str, Measure] = {"reasons": ",".join(sorted(reasons[plate]))}
        if plate in top_kmh:
            m["max_kmh"] = "inf" if math.isinf(top_kmh[plate]) else round(top_kmh[plate], 1)
        if conflicts[plate]:
            m["conflicting"] = ",".join(sorted(conflicts[plate]))
        hits.append(TacticHit(plate, (plate,), m, tuple(sorted(ids[plate]))))
    params = {"window": window.describe(), "max_kmh": max_kmh, "min_km": min_km, "min_support": min_support}
    return TacticResult("cloned-plates", params, tuple(hits), engine.name)


COMPANION_DAYS_PER = 30  # the default asks one day together per this many days the target was seen


def companion_min_days(seen_days: int) -> int:
    """Default days together for a target seen on ``seen_days`` local days: 2, or one per 30 of them.

    Chance meetings grow with the days watched: on the generated year a daily commuter shares k
    checkpoints within the seconds with some strangers on up to 4 days, so a fixed 2 makes them
    companions (precision 0.04 there); a count proportional to the days watched does not, while a
    vehicle that follows the target once a week or more still passes it. ``min_days`` in the result's
    parameters is the count used.
    """
    return max(2, math.ceil(seen_days / COMPANION_DAYS_PER))


def companions(
    engine: Engine,
    *,
    plate: str,
    window: Window = Window(),
    seconds: int = 120,
    k: int = 3,
    min_days: int | None = None,
    offset_s: int = LOCAL_OFFSET_S,
) -> TacticResult:
    """Vehicles at >= k of ``plate``'s checkpoints within +-seconds, on >= min_days days, ranked.

    ``min_days`` None: :func:`companion_min_days` of the local days on which ``plate`` was seen.
    """
    _check(seconds=seconds, k=k, **({} if min_days is None else {"min_days": min_days}))
    p = _base(window, offset_s) | {"plate_id": _plate_id(engine, plate), "dt": int(seconds), "k": int(k)}
    target = engine.query(sql.COMPANION_TARGET, p)
    if min_days is None:
        min_days = companion_min_days(len({(t + offset_s) // 86400 for _, _, t in target}))
    p["min_days"] = int(min_days)
    engine.register(
        "target_buckets",
        "target_id BIGINT, camera_id STRING, target_t BIGINT, b BIGINT",
        [(i, cam, t, t // int(seconds) + o) for i, cam, t in target for o in (-1, 0, 1)],
    )
    engine.materialize("companion_matches", sql.COMPANION_MATCHES, p)
    info: dict[str, tuple[int, int, int]] = {}  # in the rows' (ranked) order
    ids: dict[str, set[int]] = defaultdict(set)
    for other, cams, days, co, pid, target_id in engine.query(sql.COMPANIONS, p):
        info.setdefault(other, (int(cams), int(days), int(co)))
        ids[other] |= {int(pid), int(target_id)}
    hits = tuple(
        TacticHit(o, (o,), {"checkpoints": cams, "days": days, "co_passes": co}, tuple(sorted(ids[o])))
        for o, (cams, days, co) in info.items()
    )
    params = {"plate": plate, "window": window.describe(), "seconds": seconds, "k": k, "min_days": min_days}
    return TacticResult("companions", params, hits, engine.name)


def first_entry(
    engine: Engine,
    *,
    entry_cameras: Sequence[str],
    window: Window,
    lookback_days: float = 30.0,
) -> TacticResult:
    """Plates whose first pass since ``lookback_days`` before the window is at an entry checkpoint in it."""
    if window.start is None or window.end is None:
        raise InputError("--from/--to", "expected both ends of the entry window")
    if not entry_cameras:
        raise InputError("--entry", "expected at least one entry checkpoint (camera id)")
    _check(lookback_days=lookback_days)
    engine.register("entry_cameras", "camera_id STRING", [(c,) for c in sorted(set(entry_cameras))])
    p = _base(window, LOCAL_OFFSET_S) | {"lookback": int(lookback_days * 86400)}
    hits = tuple(
        TacticHit(plate, (plate,), {"entered_at": _iso(t), "entry": cam}, (int(pid),), camera_id=cam)
        for plate, pid, cam, t in engine.query(sql.FIRST_ENTRY, p)
    )
    params = {"window": window.describe(), "entry": sorted(set(entry_cameras)), "lookback_days": lookback_days}
    return TacticResult("first-entry", params, hits, engine.name)


def footholds(
    engine: Engine,
    *,
    plate: str,
    window: Window = Window(),
    gap_hours: float = 2.0,
    radius_m: float = 300.0,
    min_ends: int = 2,
) -> TacticResult:
    """Where ``plate``'s trips end: last passes before gaps >= gap_hours, clustered within radius_m."""
    _check(gap_hours=gap_hours, min_ends=min_ends, radius_m=radius_m)
    p = _base(window, LOCAL_OFFSET_S) | {"plate_id": _plate_id(engine, plate), "gap": int(gap_hours * 3600)}
    ends = engine.query(sql.FOOTHOLDS, p)
    # single-linkage clusters of the trip-end checkpoints (haversine), deterministic by camera id
    cams = sorted({(r[1], r[3], r[4]) for r in ends}, key=lambda c: c[0])
    parent = {c[0]: c[0] for c in cams}

    def find(a: str) -> str:
        while parent[a] != a:
            a = parent[a]
        return a

    for i, (ca, lona, lata) in enumerate(cams):
        for cb, lonb, latb in cams[i + 1 :]:
            if None not in (lona, lata, lonb, latb) and haversine_m(lona, lata, lonb, latb) <= radius_m:
                ra, rb = find(ca), find(cb)
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in ends:
        groups[find(r[1])].append(r)
    hits = []
    for root, rows in groups.items():
        if len(rows) < min_ends:
            continue
        members = sorted({r[1] for r in rows})
        days = {(int(r[2]) + LOCAL_OFFSET_S) // 86400 for r in rows}
        hits.append(
            TacticHit(
                f"{plate}@{root}",
                (plate,),
                {"trip_ends": len(rows), "days": len(days), "checkpoints": ",".join(members)},
                tuple(sorted(int(r[0]) for r in rows)),
                camera_id=root,
            )
        )
    hits.sort(key=lambda h: (-int(h.measures["trip_ends"]), h.key))
    params = {
        "plate": plate,
        "window": window.describe(),
        "gap_hours": gap_hours,
        "radius_m": radius_m,
        "min_ends": min_ends,
    }
    return TacticResult("footholds", params, tuple(hits), engine.name)


def nocturnal(
    engine: Engine,
    *,
    window: Window = Window(),
    night_start_h: float = 22.0,
    night_end_h: float = 6.0,
    min_share: float = 0.8,
    min_passes: int = 10,
    min_nights: int = 3,
    offset_s: int = LOCAL_OFFSET_S,
) -> TacticResult:
    """Plates whose passes are mostly in the night hours (local), with minimum counts."""
    if not (0 <= night_end_h < night_start_h <= 24):
        raise InputError(
            "--night", f"expected START > END hours (a night across midnight), got {night_start_h}-{night_end_h}"
        )
    if not 0 < min_share <= 1:
        raise InputError("--min-share", f"expected a share in (0, 1], got {min_share}")
    _check(min_passes=min_passes, min_nights=min_nights)
    p = _base(window, offset_s) | {
        "night_start": int(night_start_h * 3600),
        "night_end": int(night_end_h * 3600),
        "min_share": float(min_share),
        "min_passes": int(min_passes),
        "min_nights": int(min_nights),
    }
    info: dict[str, tuple[int, int, int]] = {}
    ids: dict[str, list[int]] = defaultdict(list)
    for plate, n, night, nights, pid in engine.query(_unbounded(sql.NOCTURNAL, p), p):
        info[plate] = (int(n), int(night), int(nights))
        ids[plate].append(int(pid))
    hits = tuple(
        TacticHit(
            plate,
            (plate,),
            {"passes": n, "night_passes": night, "nights": nights, "night_share": round(night / n, 4)},
            tuple(sorted(ids[plate])),
        )
        for plate, (n, night, nights) in sorted(info.items(), key=lambda kv: (-kv[1][1] / kv[1][0], kv[0]))
    )
    params = {
        "window": window.describe(),
        "night": [night_start_h, night_end_h],
        "min_share": min_share,
        "min_passes": min_passes,
        "min_nights": min_nights,
    }
    return TacticResult("nocturnal", params, hits, engine.name)


def frequent(
    engine: Engine,
    *,
    window: Window = Window(),
    min_passes: int = 8,
    area_cameras: Sequence[str] = (),
) -> TacticResult:
    """>= min_passes passes of a plate at one checkpoint, or over the area's checkpoints when given."""
    _check(min_passes=min_passes)
    p = _base(window, LOCAL_OFFSET_S) | {"min_passes": int(min_passes)}
    if area_cameras:
        engine.register("area_cameras", "camera_id STRING", [(c,) for c in sorted(set(area_cameras))])
        rows = engine.query(sql.FREQUENT_AREA, p)
    else:
        rows = engine.query(_unbounded(sql.FREQUENT, p), p)
    count: dict[tuple[str, str], int] = {}  # in the rows' (ranked) order
    ids: dict[tuple[str, str], list[int]] = defaultdict(list)
    for plate, cam, n, pid in rows:
        count.setdefault((plate, cam), int(n))
        ids[(plate, cam)].append(int(pid))
    hits = tuple(
        TacticHit(
            f"{plate}@{cam}",
            (plate,),
            {"passes": n},
            tuple(sorted(ids[(plate, cam)])),
            camera_id=None if cam == "area" else cam,
        )
        for (plate, cam), n in count.items()
    )
    params = {"window": window.describe(), "min_passes": min_passes, "area": sorted(set(area_cameras))}
    return TacticResult("frequent", params, hits, engine.name)


@dataclass(frozen=True)
class SceneCameras:
    """A scene resolved to its checkpoints and window (UTC epoch seconds)."""

    cameras: tuple[str, ...]
    window: Window
    label: str = ""


def area_collision(engine: Engine, *, scenes: Sequence[SceneCameras], k: int = 2) -> TacticResult:
    """Plates passing the checkpoints of >= k scenes within each scene's window."""
    if not 1 <= k <= len(scenes):
        raise InputError("-k", f"expected 1..{len(scenes)} (the number of scenes), got {k}")
    rows = [(i, c, s.window.t1, s.window.t2) for i, s in enumerate(scenes) for c in sorted(set(s.cameras))]
    engine.register("scene_cameras", "scene BIGINT, camera_id STRING, t1 BIGINT, t2 BIGINT", rows)
    info: dict[str, int] = {}  # in the rows' (ranked) order
    seen: dict[str, set[int]] = defaultdict(set)
    ids: dict[str, list[int]] = defaultdict(list)
    lo, hi = (min(r[2] for r in rows), max(r[3] for r in rows)) if rows else ALL_TIME
    span = {"t1": lo, "t2": hi}  # all the scenes' windows
    for plate, n, scene, pid in engine.query(sql.AREA_COLLISION, {"k": int(k), **span}):
        info.setdefault(plate, int(n))
        seen[plate].add(int(scene))
        ids[plate].append(int(pid))
    hits = tuple(
        TacticHit(
            plate,
            (plate,),
            {"scenes": n, "scene_list": ",".join(str(s) for s in sorted(seen[plate]))},
            tuple(sorted(ids[plate])),
        )
        for plate, n in info.items()
    )
    params = {
        "k": k,
        "scenes": [{"label": s.label, "cameras": list(s.cameras)} | s.window.describe() for s in scenes],
    }
    return TacticResult("area-collision", params, hits, engine.name)


def with_passes(engine: Engine, result: TacticResult, *, limit: int = 10_000) -> TacticResult:
    """``result`` with the details (camera, time, position) of its justifying passes (up to ``limit``)."""
    ids = result.pass_ids[:limit]
    engine.register("evidence", "id BIGINT", [(i,) for i in ids])
    details = tuple(
        PassDetail(int(i), plate, cam, dt.datetime.fromtimestamp(int(t), dt.UTC), lon, lat, source)
        for i, plate, cam, t, lon, lat, source in engine.query(sql.PASS_DETAILS, {})
    )
    return TacticResult(result.tactic, result.params, result.hits, result.engine, details)


def _iso(t: int) -> str:
    return dt.datetime.fromtimestamp(int(t), dt.UTC).isoformat()
