"""A synthetic city's checkpoint pass stream with planted truths, for tests and benchmarks.

The city is a square grid of checkpoints ``spacing_m`` apart (default 3 km) around Taiyuan; the
outer ring's every third checkpoint is an entry checkpoint. Background vehicles commute every day:
a morning trip from home (local 06:30-10:00) and an evening trip from where the morning ended
(16:00-20:30), each a random walk of 3-8 grid steps (diagonals allowed) at 25-60 km/h plus up to a
minute's dwell per step; a few "fast" decoys drive at 110-135 km/h (legal-looking, below the
cloned-plate threshold). Planted, with their answers in :class:`Truths`:

* cloned plates: two vehicles with one plate, different colour/class/brand, commuting at the same
  hours in the west and east thirds of the city (15 km or more apart on the default grid);
* companions: one target and two vehicles that follow its morning trip 10-90 s behind or ahead on
  3 days (one day in ten over longer spans: 36 over a year; their own commutes otherwise);
* first entries: vehicles first seen on the last day, entering at an entry checkpoint;
* nocturnal: vehicles whose trips are all at 23:00-03:00 local;
* frequent: vehicles passing one checkpoint 12 times between 10:00 and 16:00 on the last day;
* footholds: a vehicle driving the same route home -> work every morning and back every evening;
* area collision: two vehicles passing three scene checkpoints in 13:00-14:00 windows on days 1,
  3 and 5, when no background traffic runs.

Times are generated in local time (UTC+08:00) and stored as UTC epoch seconds. Everything is a
numpy array (no per-pass Python objects) so that tens of millions of passes can be generated for
the benchmark; :func:`to_gat1400` turns a slice into GA/T 1400 records.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from xueliang.storage import Database

LOCAL = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2024, 5, 1, tzinfo=LOCAL)
LON0, LAT0 = 112.55, 37.87
PROVINCES = "晋晋晋晋晋京冀豫陕蒙"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
COLOUR_CODES = ("1", "2", "2", "2", "3", "3", "4", "5", "8", "9")  # GA/T 1400 ColorType, white-heavy
CLASS_CODES = ("K33", "K33", "K33", "K32", "K32", "K31", "H31", "K11", "H11")
BRANDS = ("1", "2", "3", "4", "5", "6", "7", "8")
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Checkpoint:
    id: str
    gb_id: str
    lon: float
    lat: float
    entry: bool


@dataclass(frozen=True)
class Scene:
    camera_id: str
    lon: float
    lat: float
    start: str  # ISO 8601 with offset
    end: str


@dataclass(frozen=True)
class Truths:
    """What was planted; plates and camera ids as written to the records."""

    start: str
    days: int
    entry_cameras: tuple[str, ...]
    cloned_plates: tuple[str, ...]
    companions: dict[str, tuple[str, ...]]  # target plate -> its companions
    first_entries: tuple[str, ...]
    first_entry_window: tuple[str, str]
    nocturnal: tuple[str, ...]
    frequent: tuple[tuple[str, str], ...]  # (plate, camera id)
    frequent_window: tuple[str, str]
    footholds: dict[str, tuple[str, ...]]  # plate -> camera ids
    scenes: tuple[Scene, ...]
    area_plates: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Town:
    """What a city and its plan share: checkpoints ``spacing_m`` apart, vehicles (plate and attributes, by
    vehicle index) and the truths planted."""

    checkpoints: tuple[Checkpoint, ...]
    spacing_m: float
    plates: tuple[str, ...]
    colour: tuple[str, ...]
    vclass: tuple[str, ...]
    brand: tuple[str, ...]
    truths: Truths

    def town(self) -> dict[str, Any]:
        """This base's fields, to build a :class:`City` from its :class:`CityPlan`."""
        return {f.name: getattr(self, f.name) for f in fields(Town)}


@dataclass(frozen=True)
class City(Town):
    """The town and its passes (camera index, UTC epoch s, vehicle index), one column each."""

    camera: I64
    t: I64
    vehicle: I64

    def __len__(self) -> int:
        return len(self.t)


def _plates(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` unique plates: province, letter, five characters encoding a shuffled index."""
    idx = rng.permutation(n)
    space = len(CODE_CHARS) ** 5
    out = []
    for k, i in enumerate(idx):
        code = ""
        v = (int(i) * 7919 + 123_457) % space  # a bijection of 0..space-1 (7919 is coprime to 34)
        for _ in range(5):
            v, r = divmod(v, len(CODE_CHARS))
            code += CODE_CHARS[r]
        out.append(PROVINCES[k % len(PROVINCES)] + LETTERS[(k * 7) % len(LETTERS)] + code)
    return out


class _Builder:
    def __init__(self, side: int, spacing_m: float, rng: np.random.Generator) -> None:
        self.side, self.spacing, self.rng = side, spacing_m, rng
        self.cam: list[I64] = []
        self.t: list[I64] = []
        self.veh: list[I64] = []

    def cell(self, i: I64, j: I64) -> I64:
        return i * self.side + j

    def add(self, cells: I64, times: I64, vehicles: I64) -> None:
        self.cam.append(np.asarray(cells, np.int64))
        self.t.append(np.asarray(times, np.int64))
        self.veh.append(np.asarray(vehicles, np.int64))

    def walks(
        self,
        start: I64,  # (n, 2) row, column
        t0: I64,  # (n,) epoch s
        vehicles: I64,
        *,
        lengths: I64,
        speed_kmh: npt.NDArray[np.float64],
        cols: tuple[I64, I64] | None = None,
    ) -> I64:
        """Random walks; adds their passes and returns the end cells (n, 2)."""
        n = len(t0)
        lo = np.zeros(n, np.int64) if cols is None else cols[0]
        hi = np.full(n, self.side - 1, np.int64) if cols is None else cols[1]
        pos = start.copy()
        prev = np.full_like(pos, -1)
        t = t0.astype(np.float64)
        self.add(self.cell(pos[:, 0], pos[:, 1]), t.astype(np.int64), vehicles)
        for step in range(int(lengths.max(initial=0))):
            move = self.rng.integers(-1, 2, size=(n, 2))
            back = (pos + move == prev).all(axis=1)  # a trip does not turn straight back: go on instead
            move[back] = -move[back]
            new = pos + move
            new[:, 0] = np.clip(new[:, 0], 0, self.side - 1)
            new[:, 1] = np.clip(new[:, 1], lo, hi)
            dist = self.spacing * np.hypot(*(new - pos).T)
            live = (step < lengths) & (dist > 0)
            t = t + np.where(live, dist / (speed_kmh / 3.6) + self.rng.uniform(0, 60, n), 0.0)
            prev = np.where(live[:, None], pos, prev)
            pos = np.where(live[:, None], new, pos)
            self.add(self.cell(pos[live, 0], pos[live, 1]), t[live].astype(np.int64), vehicles[live])
        return pos

    def route(self, cells: list[int], t0: float, vehicle: int, speed_kmh: float) -> float:
        """A fixed route through ``cells``; returns the time at its end."""
        t = t0
        times = [t]
        for a, b in itertools.pairwise(cells):
            d = self.spacing * math.hypot(a // self.side - b // self.side, a % self.side - b % self.side)
            t += d / (speed_kmh / 3.6) + float(self.rng.uniform(0, 30))
            times.append(t)
        self.add(np.array(cells), np.array(times, np.int64), np.full(len(cells), vehicle))
        return t


def _epoch(day: int, hours: npt.NDArray[np.float64] | float) -> Any:
    return START.timestamp() + day * 86400 + np.asarray(hours) * 3600


@dataclass(frozen=True)
class CityPlan(Town):
    """A city before its passes: checkpoints, vehicles, truths, and what each day plants.

    :meth:`days` yields the passes one local day at a time (each day from its own random stream,
    seeded by ``(seed, day)``), so a year of tens of millions of passes never sits in memory at once.
    """

    side: int
    seed: int
    days_n: int
    roles: dict[str, Any]

    def days(self) -> Iterator[tuple[I64, I64, I64]]:
        """(camera index, UTC epoch s, vehicle index) of each day's passes, sorted by time."""
        for d in range(self.days_n):
            yield self.day(d)

    def day(self, d: int) -> tuple[I64, I64, I64]:
        r = self.roles
        side = self.side
        b = _Builder(side, self.spacing_m, np.random.default_rng((self.seed, d)))
        rng = b.rng
        nv = len(self.plates)
        planted = len(r["clone_a"])
        clone_a, clone_b, night, foot = r["clone_a"], r["clone_b"], r["night"], r["foot"]
        cv = r["commuters"]
        m_hours = np.clip(rng.normal(8, 1, nv), 6.5, 10.0)
        e_hours = np.clip(rng.normal(18, 1, nv), 16.0, 20.5)
        m_hours[clone_b] = m_hours[clone_a] + rng.uniform(-0.05, 0.05, planted)
        e_hours[clone_b] = e_hours[clone_a] + rng.uniform(-0.05, 0.05, planted)
        lengths = rng.integers(3, 9, nv)
        lengths[r["target"]] = 8  # long enough to be followed past k checkpoints
        cols = (r["col_lo"][cv], r["col_hi"][cv])
        speed = r["speed"]
        home = r["home"]
        ends = b.walks(home[cv], _epoch(d, m_hours[cv]), cv, lengths=lengths[cv], speed_kmh=speed[cv], cols=cols)
        b.walks(ends, _epoch(d, e_hours[cv]), cv, lengths=rng.integers(3, 9, len(cv)), speed_kmh=speed[cv], cols=cols)
        # nocturnal: two trips a night, out at 23:00-24:00 and on from there at 01:30-02:30
        where = home[night]
        for lo_h in (23.0, 25.5):
            hours = rng.uniform(lo_h, lo_h + 1.0, planted)
            where = b.walks(
                where, _epoch(d, hours), np.array(night), lengths=np.full(planted, 5), speed_kmh=speed[night]
            )
        # footholds: home -> work in the morning, back in the evening, same route
        path_cells = r["foot_path"]
        b.route(path_cells, float(_epoch(d, 7.5 + rng.uniform(0, 0.5))), foot, 40.0)
        b.route(path_cells[::-1], float(_epoch(d, 17.5 + rng.uniform(0, 0.5))), foot, 40.0)
        cam, t, veh = (np.concatenate(x) for x in (b.cam, b.t, b.veh))
        b.cam, b.t, b.veh = [], [], []
        target, comp1, comp2 = r["target"], r["comp1"], r["comp2"]
        if d in r["companion_days"]:
            # companions: copy the target's morning passes, 10-90 s behind / ahead (their own morning gives way)
            lo, hi = _epoch(d, 0.0), _epoch(d, 12.0)
            own = np.isin(veh, (comp1, comp2)) & (t >= lo) & (t < hi)
            cam, t, veh = cam[~own], t[~own], veh[~own]
            sel = (veh == target) & (t >= lo) & (t < hi)
            for c, sign in ((comp1, 1), (comp2, -1)):
                lag = sign * rng.uniform(10, 90, int(sel.sum()))
                b.add(cam[sel], (t[sel] + lag).astype(np.int64), np.full(int(sel.sum()), c))
        if d == self.days_n - 1:
            self._last_day(b, r)
        for cell, s0 in r["scenes"].get(d, ()):
            for v in r["crew"]:
                b.add(np.array([cell]), np.array([int(s0 + rng.uniform(300, 3300))]), np.array([v]))
        cam, t, veh = (np.concatenate([c, *x]) for c, x in ((cam, b.cam), (t, b.t), (veh, b.veh)))
        order = np.lexsort((veh, cam, t))
        return cam[order], t[order], veh[order]

    def _last_day(self, b: _Builder, r: dict[str, Any]) -> None:
        side, last = self.side, self.days_n - 1
        # first entries: in at an entry checkpoint, then a walk inwards
        planted = len(r["entrants"])
        first_cells = r["first_cells"]
        starts = np.stack([first_cells // side, first_cells % side], axis=1)
        b.walks(
            starts,
            _epoch(last, r["entry_hours"]),
            np.array(r["entrants"]),
            lengths=np.full(planted, 6),
            speed_kmh=np.full(planted, 40.0),
        )
        # frequent: 12 passes at one checkpoint (12:00-15:30), out to its neighbours in turn
        for v, spot in zip(r["loiter"], r["spots"], strict=True):
            si, sj = divmod(spot, side)
            around = [
                (si + a) * side + sj + c
                for a in (-1, 0, 1)
                for c in (-1, 0, 1)
                if (a, c) != (0, 0) and 0 <= si + a < side and 0 <= sj + c < side
            ]
            times = _epoch(last, 12.0 + np.arange(12) * 17 / 60 + b.rng.uniform(0, 0.05, 12))
            out_to = np.array([around[k % len(around)] for k in range(12)])
            dist = self.spacing_m * np.hypot(out_to // side - si, out_to % side - sj)
            b.add(np.full(12, spot), times.astype(np.int64), np.full(12, v))
            b.add(out_to, (times + dist / 10.0).astype(np.int64), np.full(12, v))  # 36 km/h


def plan_city(
    *,
    checkpoints: int = 100,
    vehicles: int = 1000,
    days: int = 8,
    seed: int = 0,
    spacing_m: float = 3000.0,
    planted: int = 3,
) -> CityPlan:
    """The city without its passes; ``checkpoints`` is rounded up to a square grid (at least 9 x 9)."""
    side = max(9, math.ceil(math.sqrt(checkpoints)))
    rng = np.random.default_rng(seed)
    n_special = 2 * planted + 3 + planted + planted + planted + 1 + 2
    plates = _plates(rng, vehicles + n_special)
    colour = [COLOUR_CODES[i] for i in rng.integers(0, len(COLOUR_CODES), len(plates))]
    vclass = [CLASS_CODES[i] for i in rng.integers(0, len(CLASS_CODES), len(plates))]
    brand = [BRANDS[i] for i in rng.integers(0, len(BRANDS), len(plates))]
    nv = len(plates)
    ids = iter(range(vehicles, nv))

    # who commutes: background, fast decoys, clones (both halves), companions, nocturnal, ... (not entrants)
    clone_a = [next(ids) for _ in range(planted)]
    clone_b = [next(ids) for _ in range(planted)]
    for a, bb in zip(clone_a, clone_b, strict=True):
        plates[bb] = plates[a]
        colour[bb] = "1" if colour[a] != "1" else "2"
        vclass[bb] = "K32" if vclass[a] != "K32" else "K33"
        brand[bb] = "9"
    target, comp1, comp2 = next(ids), next(ids), next(ids)
    entrants = [next(ids) for _ in range(planted)]
    night = [next(ids) for _ in range(planted)]
    loiter = [next(ids) for _ in range(planted)]
    foot = next(ids)
    crew = [next(ids), next(ids)]
    commuters = np.array([v for v in range(nv) if v not in set(entrants) | set(night) | {foot}], np.int64)
    fast = commuters[: max(1, vehicles // 100)]
    home = np.stack([rng.integers(0, side, nv), rng.integers(0, side, nv)], axis=1)
    third = side // 3
    home[clone_a, 1] = rng.integers(0, third, planted)
    home[clone_b, 1] = rng.integers(side - third, side, planted)
    col_lo = np.zeros(nv, np.int64)
    col_hi = np.full(nv, side - 1, np.int64)
    col_hi[clone_a] = third - 1
    col_lo[clone_b] = side - third
    speed = rng.uniform(25, 60, nv)
    speed[fast] = rng.uniform(110, 135, len(fast))
    follow = min(max(3, days // 10), days - 1)  # 3 days in a week or a month; one in ten over a year
    companion_days = sorted(rng.choice(np.arange(days - 1), size=follow, replace=False).tolist())
    hi_, hj = int(home[foot, 0]), int(home[foot, 1])
    wi, wj = (hi_ + 4) % side, (hj + 3) % side
    foot_path = [(hi_ + (wi - hi_) * s // 4) * side + hj + (wj - hj) * s // 4 for s in range(5)]
    entry_cells = _entry_cells(side)
    first_cells = rng.choice(entry_cells, planted)
    entry_hours = rng.uniform(9, 15, planted)
    spots = [int(s) for s in rng.integers(0, side * side, planted)]
    scene_days = [d for d in (1, 3, 5) if d < days] or [0]
    scene_cells = rng.choice(side * side, len(scene_days), replace=False)
    scenes = []
    for d, cell in zip(scene_days, scene_cells.tolist(), strict=True):
        s0 = START + dt.timedelta(days=d, hours=13)
        scenes.append((int(cell), s0, s0 + dt.timedelta(hours=1)))
    cps = tuple(_checkpoints(side, spacing_m, set(entry_cells.tolist())))
    last = days - 1
    day = dt.timedelta(days=1)
    truths = Truths(
        start=START.isoformat(),
        days=days,
        entry_cameras=tuple(_cam_id(int(c)) for c in sorted(entry_cells.tolist())),
        cloned_plates=tuple(sorted(plates[a] for a in clone_a)),
        companions={plates[target]: tuple(sorted((plates[comp1], plates[comp2])))},
        first_entries=tuple(sorted(plates[v] for v in entrants)),
        first_entry_window=((START + last * day).isoformat(), (START + days * day).isoformat()),
        nocturnal=tuple(sorted(plates[v] for v in night)),
        frequent=tuple(sorted((plates[v], _cam_id(s)) for v, s in zip(loiter, spots, strict=True))),
        frequent_window=((START + last * day).isoformat(), (START + days * day).isoformat()),
        footholds={plates[foot]: tuple(sorted(_cam_id(c) for c in (foot_path[0], foot_path[-1])))},
        scenes=tuple(Scene(_cam_id(c), cps[c].lon, cps[c].lat, s.isoformat(), e.isoformat()) for c, s, e in scenes),
        area_plates=tuple(sorted(plates[v] for v in crew)),
    )
    roles: dict[str, Any] = {
        "clone_a": clone_a,
        "clone_b": clone_b,
        "target": target,
        "comp1": comp1,
        "comp2": comp2,
        "entrants": entrants,
        "night": night,
        "loiter": loiter,
        "foot": foot,
        "crew": crew,
        "commuters": commuters,
        "home": home,
        "col_lo": col_lo,
        "col_hi": col_hi,
        "speed": speed,
        "companion_days": set(companion_days),
        "foot_path": foot_path,
        "first_cells": first_cells,
        "entry_hours": entry_hours,
        "spots": spots,
        "scenes": {d: [(c, s.timestamp())] for d, (c, s, _) in zip(scene_days, scenes, strict=True)},
    }
    town = Town(cps, spacing_m, tuple(plates), tuple(colour), tuple(vclass), tuple(brand), truths)
    return CityPlan(**town.town(), side=side, seed=seed, days_n=days, roles=roles)


def generate_city(**options: Any) -> City:
    """The whole city in memory; ``options`` are :func:`plan_city`'s (:meth:`CityPlan.days` streams it)."""
    plan = plan_city(**options)
    cam, t, veh = (np.concatenate(x) for x in zip(*plan.days(), strict=True))
    return City(**plan.town(), camera=cam, t=t, vehicle=veh)


def _cam_id(cell: int) -> str:
    return f"kk-{cell:04d}"


def _entry_cells(side: int) -> I64:
    ring = [i * side + j for i in range(side) for j in range(side) if i in (0, side - 1) or j in (0, side - 1)]
    return np.array(ring[::3], np.int64)


def _checkpoints(side: int, spacing_m: float, entries: set[int]) -> list[Checkpoint]:
    dlat = spacing_m / 111_320.0
    dlon = dlat / math.cos(math.radians(LAT0))
    out = []
    for c in range(side * side):
        i, j = divmod(c, side)
        out.append(
            Checkpoint(
                id=_cam_id(c),
                gb_id=f"14010500001190{c:06d}",  # Taiyuan 140105, industry 00, type 119 (front-end), network 0
                lon=round(LON0 + (j - side / 2) * dlon, 7),
                lat=round(LAT0 + (i - side / 2) * dlat, 7),
                entry=c in entries,
            )
        )
    return out


def register_checkpoints(db: Database, city: City) -> None:
    """The city's checkpoints into the camera registry (what ``cameras import cameras.csv`` would add)."""
    from xueliang.storage import CameraRow

    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        s.add_all(
            CameraRow(
                id=cp.id,
                gb_id=cp.gb_id,
                name=f"checkpoint {cp.id}",
                lon=cp.lon,
                lat=cp.lat,
                channels=1,
                kind="bullet",
                imported_at=now,
            )
            for cp in city.checkpoints
        )


def _pass_time(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, LOCAL).strftime("%Y%m%d%H%M%S")


def to_gat1400(city: City, rows: slice | npt.NDArray[np.int64] | None = None) -> list[dict[str, Any]]:
    """GA/T 1400 ``MotorVehicleObject`` records of the passes ``rows`` (default all)."""
    idx = np.arange(len(city))[rows if rows is not None else slice(None)]
    out = []
    cps = city.checkpoints
    for k in idx.tolist():
        v = int(city.vehicle[k])
        cp = cps[int(city.camera[k])]
        when = _pass_time(int(city.t[k]))
        out.append(
            {
                "MotorVehicleID": f"{cp.gb_id}02{when}{k:012d}",
                "DeviceID": cp.gb_id,
                "PassTime": when,
                "LaneNo": 1 + v % 3,
                "Direction": str(1 + v % 4),
                "HasPlate": "1",
                "IsCovered": "0",
                "PlateNo": city.plates[v],
                "PlateColor": "5",
                "VehicleClass": city.vclass[v],
                "VehicleColor": city.colour[v],
                "VehicleBrand": city.brand[v],
            }
        )
    return out


def write_city(city: City, out: Path) -> list[Path]:
    """``cameras.csv``, one ``passes-YYYYMMDD.json`` per local day, ``truths.json``; returns the files."""
    out.mkdir(parents=True, exist_ok=True)
    cams = out / "cameras.csv"
    with cams.open("w", encoding="utf-8") as fh:
        fh.write("id,gb_id,name,lon,lat,kind\n")
        for cp in city.checkpoints:
            fh.write(f"{cp.id},{cp.gb_id},{'entry ' if cp.entry else ''}checkpoint {cp.id},{cp.lon},{cp.lat},bullet\n")
    files = [cams]
    local_day = (city.t + 8 * 3600) // 86400
    for d in np.unique(local_day).tolist():
        rows = np.flatnonzero(local_day == d)
        name = dt.date(1970, 1, 1) + dt.timedelta(days=int(d))
        path = out / f"passes-{name:%Y%m%d}.json"
        doc = {"MotorVehicleListObject": {"MotorVehicleObject": to_gat1400(city, rows)}}
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        files.append(path)
    truths = out / "truths.json"
    truths.write_text(json.dumps(city.truths.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    return [*files, truths]
